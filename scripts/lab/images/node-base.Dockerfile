# kind's node base image, from a Debian root filesystem (lossless/rootfs-node, made with mmdebstrap) and kind's
# own files (images/base/files of the sigs.k8s.io/kind module, copied into files/ by harness/src/lab/node-image.ts).
# Mirrors kind's images/base/Dockerfile, except: containerd, runc and the CNI plugins are Debian's (kind builds
# its own), and containerd's CRI clamps oom_score_adj (this host cannot set a negative one).
ARG BASE
FROM ${BASE}

COPY files/usr/local/bin/ /usr/local/bin/
COPY files/kind/ /kind/
COPY files/etc/ /etc/
# cri-tools is not buildable here: a stand-in answering `crictl inspecti`, so `kind load` skips present images
COPY crictl-inspecti.sh /usr/local/bin/crictl

RUN set -eux; \
    chmod 0755 /usr/local/bin/* /kind/bin /kind/bin/*; \
    # kind's containerd.service runs /usr/local/bin/containerd; Debian installs to /usr/bin
    for b in containerd containerd-shim-runc-v2 ctr; do ln -sf /usr/bin/$b /usr/local/bin/$b; done; \
    ln -sf /usr/sbin/runc /usr/local/sbin/runc; \
    # Debian's CNI plugins live in /usr/lib/cni; kindnetd's config names /opt/cni/bin
    mkdir -p /opt/cni/bin; cp -a /usr/lib/cni/. /opt/cni/bin/; \
    # no fuse-overlayfs snapshotter here (rootless only); drop its proxy plugin and unit
    sed -i '/^\[proxy_plugins\]/,/^  address/d' /etc/containerd/config.toml; \
    rm -f /etc/systemd/system/containerd-fuse-overlayfs.service; \
    # the kubelet asks -997 for node-critical pods; a negative oom_score_adj cannot be set on this host
    sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml; \
    grep -q 'restrict_oom_score_adj = true' /etc/containerd/config.toml; \
    ctr oci spec \
      | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json; \
    find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete; \
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
          /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
          /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*; \
    echo "ReadKMsg=no" >> /etc/systemd/journald.conf; \
    systemctl enable kubelet.service containerd.service undo-mount-hacks.service; \
    systemctl mask systemd-binfmt.service; \
    mkdir -p /etc/kubernetes/manifests

ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
