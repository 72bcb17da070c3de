package main

import (
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestHostNetInOwnNetns drives the real netlink and iptables side in a throw-away network namespace:
// the kindnetd recipe runs it as `unshare -n env KINDNETD_NETNS_TEST=1 go test -run HostNet` (root).
// Outside such a namespace it must not touch the machine's routes, so it skips.
func TestHostNetInOwnNetns(t *testing.T) {
	if os.Getenv("KINDNETD_NETNS_TEST") != "1" {
		t.Skip("needs a private network namespace: run under `unshare -n` with KINDNETD_NETNS_TEST=1")
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// A stand-in uplink: one end of a veth pair with the node's address, MTU 1400, holding the default route.
	run("ip", "link", "add", "eth-test", "mtu", "1400", "type", "veth", "peer", "name", "eth-peer")
	run("ip", "link", "set", "eth-peer", "up")
	run("ip", "addr", "add", "172.18.0.3/16", "dev", "eth-test")
	run("ip", "link", "set", "eth-test", "up")
	run("ip", "route", "add", "default", "via", "172.18.0.1")

	h := hostNet{}
	if mtu, err := h.defaultMTU(); err != nil || mtu != 1400 {
		t.Fatalf("defaultMTU = %d, %v; want 1400 (the default route's link)", mtu, err)
	}
	want := map[netip.Prefix]netip.Addr{
		netip.MustParsePrefix("10.244.0.0/24"): netip.MustParseAddr("172.18.0.2"),
		netip.MustParsePrefix("10.244.2.0/24"): netip.MustParseAddr("172.18.0.4"),
	}
	if err := h.ensureRoutes(want); err != nil {
		t.Fatal(err)
	}
	routes := run("ip", "route", "show", "proto", "77")
	for _, r := range []string{"10.244.0.0/24 via 172.18.0.2", "10.244.2.0/24 via 172.18.0.4"} {
		if !strings.Contains(routes, r) {
			t.Errorf("route %q missing from:\n%s", r, routes)
		}
	}
	// A node left: its route goes, a route someone else made stays.
	run("ip", "route", "add", "10.99.0.0/24", "via", "172.18.0.9")
	delete(want, netip.MustParsePrefix("10.244.2.0/24"))
	if err := h.ensureRoutes(want); err != nil {
		t.Fatal(err)
	}
	all := run("ip", "route", "show")
	if strings.Contains(all, "10.244.2.0/24") || !strings.Contains(all, "10.244.0.0/24 via 172.18.0.2") ||
		!strings.Contains(all, "10.99.0.0/24 via 172.18.0.9") {
		t.Errorf("after the node left:\n%s", all)
	}
	if n, _ := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: rtprotKindnet}, netlink.RT_FILTER_PROTOCOL); len(n) != 1 {
		t.Errorf("%d routes marked as ours, want 1", len(n))
	}

	subnets := []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}
	for i := 0; i < 2; i++ { // idempotent: the second pass must not add a second jump or rule
		if err := h.ensureMasquerade(subnets); err != nil {
			t.Fatal(err)
		}
	}
	nat := run("iptables", "-w", "-t", "nat", "-S")
	if c := strings.Count(nat, "-j KINDNET-MASQ"); c != 1 {
		t.Errorf("%d jumps to KINDNET-MASQ, want 1:\n%s", c, nat)
	}
	for _, r := range []string{"-A KINDNET-MASQ -d 10.244.0.0/16 -j RETURN", "-A KINDNET-MASQ -j MASQUERADE"} {
		if strings.Count(nat, r) != 1 {
			t.Errorf("want exactly one %q in:\n%s", r, nat)
		}
	}
}
