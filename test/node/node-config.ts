/** The configuration files of containerd, the CNI bridge, the kubelet and kube-proxy on the test node. */
import { NODE } from './topology.ts';

export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';

export function containerdConfig(options: { sandboxImage: string; optDir: string }): string {
  return `version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${CONTAINERD_SOCKET}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${options.optDir}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${options.sandboxImage}"
  # Root here lacks CAP_SYS_RESOURCE: without this, runc cannot lower a container's oom_score_adj and
  # every sandbox fails with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
`;
}

export function cniBridgeConfig(): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'c2c-node',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: NODE.podCidr }]], routes: [{ dst: '0.0.0.0/0' }] },
        },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(files: { ca: string; cert: string; key: string; resolvConf: string }): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // This kernel mounts cgroup v1; kubelet 1.35+ refuses it unless told otherwise.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: `/${NODE.name}`,
      // true stops the kubelet on vm/overcommit_memory, kernel/panic and kernel/panic_on_oops; with false
      // it sets them host-wide itself, so the node saves and restores them (host.ts).
      protectKernelDefaults: false,
      failSwapOn: false,
      containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
      address: NODE.ip,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: 10248,
      tlsCertFile: files.cert,
      tlsPrivateKeyFile: files.key,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: files.ca },
      },
      authorization: { mode: 'Webhook' },
      clusterDomain: NODE.clusterDomain,
      clusterDNS: [NODE.dnsServiceIp],
      resolvConf: files.resolvConf,
      podCIDR: NODE.podCidr,
      // Imported images cannot be pulled again: never collect them.
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
      serializeImagePulls: false,
      shutdownGracePeriod: '0s',
    },
    null,
    2,
  );
}

export function kubeProxyConfig(kubeconfig: string): string {
  return JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig },
      mode: 'iptables',
      clusterCIDR: NODE.podCidr,
      hostnameOverride: NODE.name,
      bindAddress: NODE.ip,
      healthzBindAddress: '127.0.0.1:10256',
      metricsBindAddress: '127.0.0.1:10249',
      // 0 leaves the host's conntrack table size and timeouts as they are.
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      iptables: { masqueradeAll: true },
    },
    null,
    2,
  );
}
