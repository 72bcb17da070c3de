package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func node(name, ip string, cidrs ...string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.NodeSpec{PodCIDRs: cidrs},
		Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}},
	}
}

// recordingHost is a fake of the host's routing table and iptables (changing them needs the node's
// network namespace); it records what sync asked for.
type recordingHost struct {
	routes map[netip.Prefix]netip.Addr
	masq   []netip.Prefix
}

func (h *recordingHost) ensureRoutes(want map[netip.Prefix]netip.Addr) error {
	h.routes = want
	return nil
}
func (h *recordingHost) ensureMasquerade(p []netip.Prefix) error { h.masq = p; return nil }
func (h *recordingHost) defaultMTU() (int, error)                { return 1450, nil }

func TestLoadConfigRejectsBadInput(t *testing.T) {
	env := map[string]string{"HOST_IP": "172.18.0.2", "POD_SUBNET": "10.244.0.0/16"}
	get := func(k string) string { return env[k] }
	c, err := loadConfig(get)
	if err != nil || c.hostIP.String() != "172.18.0.2" || len(c.podSubnets) != 1 || c.cniDir != "/etc/cni/net.d" {
		t.Fatalf("good env: %+v %v", c, err)
	}
	for k, v := range map[string]string{"HOST_IP": "node-1", "POD_SUBNET": "10.244.0.0", "RESYNC_SECONDS": "0"} {
		old := env[k]
		env[k] = v
		if _, err := loadConfig(get); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: want an error naming %s, got %v", k, v, k, err)
		}
		env[k] = old
	}
}

func TestSyncRoutesOtherNodesAndWritesOwnCNIConfig(t *testing.T) {
	dir := t.TempDir()
	client := fake.NewSimpleClientset(
		node("cp", "172.18.0.2", "10.244.0.0/24"),
		node("w1", "172.18.0.3", "10.244.1.0/24"),
		node("w2", "172.18.0.4", "10.244.2.0/24"),
	)
	c := config{hostIP: netip.MustParseAddr("172.18.0.3"), podSubnets: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}, cniDir: dir}
	h := &recordingHost{}
	if err := sync(context.Background(), c, client, h); err != nil {
		t.Fatal(err)
	}
	want := map[netip.Prefix]netip.Addr{
		netip.MustParsePrefix("10.244.0.0/24"): netip.MustParseAddr("172.18.0.2"),
		netip.MustParsePrefix("10.244.2.0/24"): netip.MustParseAddr("172.18.0.4"),
	}
	if len(h.routes) != len(want) {
		t.Fatalf("routes %v, want %v", h.routes, want)
	}
	for p, gw := range want {
		if h.routes[p] != gw {
			t.Errorf("route %s via %s, want via %s", p, h.routes[p], gw)
		}
	}
	if len(h.masq) != 1 || h.masq[0].String() != "10.244.0.0/16" {
		t.Errorf("masquerade exceptions %v", h.masq)
	}
	data, err := os.ReadFile(filepath.Join(dir, cniConfigName))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Plugins []struct {
			Type string `json:"type"`
			MTU  int    `json:"mtu"`
			IPAM struct {
				Ranges [][]struct{ Subnet string } `json:"ranges"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		t.Fatal(err)
	}
	if len(conf.Plugins) != 2 || conf.Plugins[0].Type != "ptp" || conf.Plugins[1].Type != "portmap" ||
		conf.Plugins[0].MTU != 1450 || conf.Plugins[0].IPAM.Ranges[0][0].Subnet != "10.244.1.0/24" {
		t.Fatalf("CNI config: %s", data)
	}
	// A second pass with nothing changed must not rewrite the file (the runtime watches the folder).
	if changed, err := writeCNIConfig(dir, []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24")}, 1450); err != nil || changed {
		t.Errorf("unchanged config rewritten: changed=%v err=%v", changed, err)
	}
}

func TestSyncFailsUntilOwnNodeHasPodCIDR(t *testing.T) {
	client := fake.NewSimpleClientset(node("w1", "172.18.0.3"))
	c := config{hostIP: netip.MustParseAddr("172.18.0.3"), podSubnets: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}, cniDir: t.TempDir()}
	err := sync(context.Background(), c, client, &recordingHost{})
	if err == nil || !strings.Contains(err.Error(), "podCIDRs") {
		t.Fatalf("want a podCIDRs error, got %v", err)
	}
	c.hostIP = netip.MustParseAddr("172.18.0.9")
	if err := sync(context.Background(), c, client, &recordingHost{}); err == nil || !strings.Contains(err.Error(), "HOST_IP") {
		t.Fatalf("want a HOST_IP error, got %v", err)
	}
}

func TestMasqRulesKeepPodTrafficAndMasqueradeTheRest(t *testing.T) {
	subnets := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/56")}
	v4, ok := masqRules(subnets, false)
	if !ok || !strings.Contains(v4, "-A KINDNET-MASQ -d 10.244.0.0/16 -j RETURN\n-A KINDNET-MASQ -j MASQUERADE\nCOMMIT") ||
		strings.Contains(v4, "fd00") {
		t.Errorf("v4 rules:\n%s", v4)
	}
	v6, ok := masqRules(subnets, true)
	if !ok || !strings.Contains(v6, "-d fd00:10:244::/56 -j RETURN") || strings.Contains(v6, "10.244") {
		t.Errorf("v6 rules:\n%s", v6)
	}
	if _, ok := masqRules(subnets[:1], true); ok {
		t.Error("no v6 subnet must mean no v6 rules")
	}
}
