package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
)

const cniConfigName = "10-kindnet.conflist"

// cniConfig renders the node's CNI network list: a veth pair per pod (ptp) with addresses from the
// node's pod CIDRs (host-local), a default route per family, then hostPort support (portmap).
func cniConfig(podCIDRs []netip.Prefix, mtu int) ([]byte, error) {
	type subnet struct {
		Subnet string `json:"subnet"`
	}
	type route struct {
		Dst string `json:"dst"`
	}
	ranges := [][]subnet{}
	routes := []route{}
	for _, p := range podCIDRs {
		ranges = append(ranges, []subnet{{Subnet: p.String()}})
		if p.Addr().Is6() {
			routes = append(routes, route{Dst: "::/0"})
		} else {
			routes = append(routes, route{Dst: "0.0.0.0/0"})
		}
	}
	conf := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "kindnet",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false, // masquerading is done once per node by ensureMasquerade
				"mtu":    mtu,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": "/run/cni-ipam-state",
					"ranges":  ranges,
					"routes":  routes,
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// writeCNIConfig writes the config atomically (the container runtime watches the folder and must never
// read half a file) and only when it changed; it reports whether it wrote.
func writeCNIConfig(dir string, podCIDRs []netip.Prefix, mtu int) (bool, error) {
	data, err := cniConfig(podCIDRs, mtu)
	if err != nil {
		return false, err
	}
	path := filepath.Join(dir, cniConfigName)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	tmp, err := os.CreateTemp(dir, ".kindnet-*.tmp")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), path)
}
