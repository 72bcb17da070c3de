package main

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// rtprotKindnet marks the routes this daemon owns, so a route to a node that left can be told apart
// from routes others made and removed (values above RTPROT_STATIC are free for routing daemons).
const rtprotKindnet = netlink.RouteProtocol(77)

type hostNet struct{}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// ensureRoutes makes the main table hold exactly `want` among the routes marked rtprotKindnet.
func (hostNet) ensureRoutes(want map[netip.Prefix]netip.Addr) error {
	for dst, gw := range want {
		r := &netlink.Route{Dst: ipNet(dst), Gw: gw.AsSlice(), Protocol: rtprotKindnet}
		if err := netlink.RouteReplace(r); err != nil {
			return fmt.Errorf("route %s via %s: %w", dst, gw, err)
		}
	}
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		have, err := netlink.RouteListFiltered(family, &netlink.Route{Protocol: rtprotKindnet}, netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return fmt.Errorf("list routes: %w", err)
		}
		for i := range have {
			r := have[i]
			if r.Dst == nil {
				continue
			}
			p, ok := netip.AddrFromSlice(r.Dst.IP)
			ones, _ := r.Dst.Mask.Size()
			if !ok {
				continue
			}
			if _, keep := want[netip.PrefixFrom(p.Unmap(), ones)]; keep {
				continue
			}
			if err := netlink.RouteDel(&r); err != nil {
				return fmt.Errorf("remove stale route %s: %w", r.Dst, err)
			}
		}
	}
	return nil
}

// defaultMTU is the MTU of the link holding the IPv4 (else IPv6) default route: pods must not send
// frames larger than the node's own network carries.
func (hostNet) defaultMTU() (int, error) {
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := netlink.RouteList(nil, family)
		if err != nil {
			return 0, fmt.Errorf("list routes: %w", err)
		}
		for _, r := range routes {
			if r.Dst != nil && !(r.Dst.IP.IsUnspecified() && isZeroMask(r.Dst.Mask)) {
				continue
			}
			link, err := netlink.LinkByIndex(r.LinkIndex)
			if err != nil {
				continue
			}
			return link.Attrs().MTU, nil
		}
	}
	return 1500, nil
}

func isZeroMask(m net.IPMask) bool {
	ones, _ := m.Size()
	return ones == 0
}
