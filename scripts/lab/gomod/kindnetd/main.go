// Command kindnetd is lossless' own implementation of the contract kind's default CNI DaemonSet expects
// from its kindnetd image (kind's kindnetd module is not served by the Go module proxy this lab builds
// from). It runs on every node with host networking and:
//   - writes /etc/cni/net.d/10-kindnet.conflist for its own node: ptp + host-local IPAM over the node's
//     spec.podCIDRs, then portmap (the CNI plugins come from the node image);
//   - keeps a route to every other node's pod CIDRs via that node's InternalIP (nodes share one L2 network);
//   - masquerades traffic from pods to anything outside the cluster's pod subnets.
//
// Environment (as in kind's manifest): HOST_IP (status.hostIP), POD_SUBNET (comma-separated cluster pod
// CIDRs), optional CNI_CONFIG_DIR (default /etc/cni/net.d), RESYNC_SECONDS (default 10).
package main

import (
	"context"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

type config struct {
	hostIP     netip.Addr
	podSubnets []netip.Prefix
	cniDir     string
	resync     time.Duration
}

func loadConfig(getenv func(string) string) (config, error) {
	var c config
	ip, err := netip.ParseAddr(strings.TrimSpace(getenv("HOST_IP")))
	if err != nil {
		return c, fmt.Errorf("HOST_IP=%q: want the node's IP address (status.hostIP): %v", getenv("HOST_IP"), err)
	}
	c.hostIP = ip
	c.podSubnets, err = parsePrefixes(getenv("POD_SUBNET"))
	if err != nil || len(c.podSubnets) == 0 {
		return c, fmt.Errorf("POD_SUBNET=%q: want comma-separated CIDRs such as 10.244.0.0/16", getenv("POD_SUBNET"))
	}
	c.cniDir = getenv("CNI_CONFIG_DIR")
	if c.cniDir == "" {
		c.cniDir = "/etc/cni/net.d"
	}
	c.resync = 10 * time.Second
	if s := getenv("RESYNC_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return c, fmt.Errorf("RESYNC_SECONDS=%q: want a whole number of seconds >= 1", s)
		}
		c.resync = time.Duration(n) * time.Second
	}
	return c, nil
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// nodeAddr is the node's InternalIP of the given family, the address other nodes route its pods through.
func nodeAddr(n *corev1.Node, v6 bool) (netip.Addr, bool) {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err == nil && ip.Is6() == v6 {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

func isSelf(n *corev1.Node, host netip.Addr) bool {
	ip, ok := nodeAddr(n, host.Is6())
	return ok && ip == host
}

func nodePodCIDRs(n *corev1.Node) []netip.Prefix {
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	p, err := parsePrefixes(strings.Join(cidrs, ","))
	if err != nil {
		return nil
	}
	return p
}

// sync applies one pass over the node list: CNI config for this node, routes to the others, masquerade.
func sync(ctx context.Context, c config, client kubernetes.Interface, host netOps) error {
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	wantRoutes := map[netip.Prefix]netip.Addr{}
	var self *corev1.Node
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if isSelf(n, c.hostIP) {
			self = n
			continue
		}
		for _, cidr := range nodePodCIDRs(n) {
			if gw, ok := nodeAddr(n, cidr.Addr().Is6()); ok {
				wantRoutes[cidr] = gw
			}
		}
	}
	if self == nil {
		return fmt.Errorf("no node has InternalIP %s (HOST_IP) yet", c.hostIP)
	}
	own := nodePodCIDRs(self)
	if len(own) == 0 {
		return fmt.Errorf("node %s has no spec.podCIDRs yet (is the controller-manager allocating node CIDRs?)", self.Name)
	}
	if err := host.ensureRoutes(wantRoutes); err != nil {
		return err
	}
	if err := host.ensureMasquerade(c.podSubnets); err != nil {
		return err
	}
	mtu, err := host.defaultMTU()
	if err != nil {
		return err
	}
	changed, err := writeCNIConfig(c.cniDir, own, mtu)
	if err != nil {
		return err
	}
	if changed {
		log.Printf("wrote CNI config for node %s: pod CIDRs %v, mtu %d", self.Name, own, mtu)
	}
	return nil
}

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	c, err := loadConfig(os.Getenv)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	rc, err := rest.InClusterConfig()
	if err != nil {
		log.Printf("in-cluster config: %v (run as a pod with a service account)", err)
		os.Exit(3)
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		log.Printf("kubernetes client: %v", err)
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ops := hostNet{}
	log.Printf("kindnetd (lossless) host %s, pod subnets %v, resync %s", c.hostIP, c.podSubnets, c.resync)
	for {
		if err := sync(ctx, c, client, ops); err != nil {
			log.Printf("sync: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.resync):
		}
	}
}

// netOps is the host side of a sync, so the node logic can be tested without touching the host.
type netOps interface {
	ensureRoutes(want map[netip.Prefix]netip.Addr) error
	ensureMasquerade(podSubnets []netip.Prefix) error
	defaultMTU() (int, error)
}
