# Malformed: sysctl inside a process block.
process app {
  sysctl net.ipv4.tcp_tw_reuse=1
}
