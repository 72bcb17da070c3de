package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

const masqChain = "KINDNET-MASQ"

// masqRules renders an iptables-restore input that atomically replaces masqChain: traffic to the
// cluster's pod subnets keeps its source address, anything else leaving the node is masqueraded.
func masqRules(podSubnets []netip.Prefix, v6 bool) (string, bool) {
	var b strings.Builder
	n := 0
	b.WriteString("*nat\n:" + masqChain + " - [0:0]\n")
	for _, p := range podSubnets {
		if p.Addr().Is6() != v6 {
			continue
		}
		n++
		fmt.Fprintf(&b, "-A %s -d %s -j RETURN\n", masqChain, p)
	}
	fmt.Fprintf(&b, "-A %s -j MASQUERADE\nCOMMIT\n", masqChain)
	return b.String(), n > 0
}

// jumpRule sends all traffic not addressed to this node through masqChain.
var jumpRule = []string{"POSTROUTING", "-m", "addrtype", "!", "--dst-type", "LOCAL", "-j", masqChain}

func (hostNet) ensureMasquerade(podSubnets []netip.Prefix) error {
	for _, v6 := range []bool{false, true} {
		rules, any := masqRules(podSubnets, v6)
		if !any {
			continue
		}
		cmd := "iptables"
		if v6 {
			cmd = "ip6tables"
		}
		restore := exec.Command(cmd+"-restore", "-w", "--noflush")
		restore.Stdin = strings.NewReader(rules)
		if out, err := restore.CombinedOutput(); err != nil {
			return fmt.Errorf("%s-restore: %v: %s", cmd, err, bytes.TrimSpace(out))
		}
		check := append([]string{"-w", "-t", "nat", "-C"}, jumpRule...)
		if exec.Command(cmd, check...).Run() == nil {
			continue
		}
		add := append([]string{"-w", "-t", "nat", "-A"}, jumpRule...)
		if out, err := exec.Command(cmd, add...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %v: %s", cmd, strings.Join(add, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}
