/**
 * Names and addresses of the test node. Every address lives inside the node's own network namespace;
 * the host reaches the node only through relays on loopback (see relay.ts).
 */
export const NODE = {
  /** The network namespace, the Node object's name, and the cgroup root of the pods. */
  name: 'c2c-node',
  /** A veth pair, both ends inside the namespace: the kernel here has no `dummy` interface type. */
  interface: 'c2c-node0',
  peerInterface: 'c2c-node1',
  ip: '10.211.0.2',
  prefixLength: 24,
  podCidr: '10.244.0.0/24',
  serviceCidr: '10.96.0.0/16',
  /** The `kubernetes` Service's ClusterIP (first address of the service range). */
  apiServiceIp: '10.96.0.1',
  dnsServiceIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
} as const;

/** Fixed paths that containerd 1.6, the CNI plugins and the kubelet use; each gets a private folder. */
export const PRIVATE_PATHS = [
  '/run/containerd',
  '/run/netns',
  '/var/lib/containerd',
  '/var/lib/kubelet',
  '/var/lib/cni',
  '/var/log/pods',
  '/var/log/containers',
  '/etc/cni/net.d',
] as const;

/** Host sysctls that the kubelet sets itself (protectKernelDefaults: false); saved and restored. */
export const KUBELET_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
] as const;

/** Debian packages the node needs, with one file each that shows the package is there. */
export const NODE_PACKAGES = [
  { name: 'containerd', file: '/usr/bin/containerd' },
  { name: 'runc', file: '/usr/sbin/runc' },
  { name: 'containernetworking-plugins', file: '/usr/lib/cni/bridge' },
  { name: 'iptables', file: '/usr/sbin/iptables' },
  { name: 'conntrack', file: '/usr/sbin/conntrack' },
  { name: 'iproute2', file: '/usr/sbin/ip' },
  { name: 'util-linux', file: '/usr/bin/nsenter' },
  { name: 'gcc', file: '/usr/bin/gcc' },
  { name: 'libc6-dev', file: '/usr/lib/x86_64-linux-gnu/libc.a' },
] as const;
