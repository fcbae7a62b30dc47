// The Linux profile (6.12 code, behaviour checked on 6.18): semantics.md §2.
#pragma once

#include <cstddef>

#include "model/profile.h"

namespace portlab::model {

const Profile& linux_profile();
// Version variants: only what changed differs (semantics.md §2.13). Their catalogues list only
// the rules that are theirs; everything else is the linux profile's.
const Profile& linux_613_profile();  // before 6.14: tcp_tw_reuse threshold in seconds
const Profile& linux_44_profile();   // 4.4: pre-4.6 bind(0), RFC 6056 Alg. 3 connect(), tcp_tw_reuse=0

// Indices into the Linux knob table (Knobs::integer(i) etc.).
namespace linux_knob {
inline constexpr std::size_t ip_local_port_range = 0;
inline constexpr std::size_t ip_local_reserved_ports = 1;
inline constexpr std::size_t tcp_tw_reuse = 2;
inline constexpr std::size_t tcp_tw_reuse_delay = 3;
inline constexpr std::size_t tcp_timestamps = 4;
inline constexpr std::size_t tcp_fin_timeout = 5;
inline constexpr std::size_t tcp_max_tw_buckets = 6;
inline constexpr std::size_t ip_autobind_reuse = 7;
inline constexpr std::size_t bindv6only = 8;
inline constexpr std::size_t ip_unprivileged_port_start = 9;
inline constexpr std::size_t tcp_rfc1337 = 10;
inline constexpr std::size_t ip_nonlocal_bind = 11;
inline constexpr std::size_t tcp_syn_retries = 12;
inline constexpr std::size_t ip6_nonlocal_bind = 13;  // net.ipv6.ip_nonlocal_bind
}  // namespace linux_knob

// Linux rules, by name, for the host and the tests. Each is listed with its source in
// linux_profile.cpp and in `portlab rules`.
namespace linux_rule {
#define PORTLAB_LINUX_RULES(X)                           \
  X(bind_ok)                                             \
  X(bind_shared_reuseaddr)                               \
  X(bind_shared_reuseport)                               \
  X(bind_conflict_no_reuse)                              \
  X(bind_conflict_reuseaddr_existing_listens)            \
  X(bind_conflict_reuseport_uid)                         \
  X(bind_fast_path_reuseaddr)                            \
  X(bind_fast_path_reuseport)                            \
  X(listen_fast_path_reuseport)                          \
  X(bind_einval_short_addr)                              \
  X(bind_eafnosupport)                                   \
  X(bind_einval_v6_multicast)                            \
  X(bind_eaddrnotavail_not_local)                        \
  X(bind_eacces_privileged)                              \
  X(bind_einval_already_bound)                           \
  X(bind_einval_v6only_mapped)                           \
  X(bind_einval_link_local_scope)                        \
  X(bind_port0_ok)                                       \
  X(bind_port0_autobind_reuse)                           \
  X(bind_port0_exhausted)                                \
  X(bind_no_port_deferred)                               \
  X(listen_ok)                                           \
  X(listen_again)                                        \
  X(listen_einval_state)                                 \
  X(listen_conflict_no_reuse)                            \
  X(listen_conflict_reuseaddr_existing_listens)          \
  X(listen_conflict_reuseport_uid)                       \
  X(listen_autobind_exhausted)                           \
  X(connect_eisconn)                                     \
  X(connect_ealready)                                    \
  X(connect_eafnosupport)                                \
  X(connect_einval_short_addr)                           \
  X(connect_enetunreach)                                 \
  X(connect_bound_ok)                                    \
  X(connect_bound_tuple_in_use)                          \
  X(connect_bound_time_wait_reused)                      \
  X(connect_bound_time_wait_no_timestamps)               \
  X(connect_autobind_ok)                                 \
  X(connect_autobind_time_wait_reused)                   \
  X(connect_autobind_exhausted)                          \
  X(connect_refused)                                     \
  X(connect_timeout)                                     \
  X(connect_reset)                                       \
  X(connect_async_completed)                             \
  X(connect_async_aborted)                               \
  X(connect_einval_disconnecting)                        \
  X(accept_ok)                                           \
  X(accept_einval)                                       \
  X(accept_eagain)                                       \
  X(send_ok)                                             \
  X(send_epipe)                                          \
  X(send_eagain)                                         \
  X(send_pending_error)                                  \
  X(recv_ok)                                             \
  X(recv_eof)                                            \
  X(recv_enotconn)                                       \
  X(recv_eagain)                                         \
  X(recv_pending_error)                                  \
  X(shutdown_ok)                                         \
  X(shutdown_enotconn)                                   \
  X(close_fin)                                           \
  X(close_unread_data_rst)                               \
  X(close_linger0_rst)                                   \
  X(close_linger0_no_rst)                                \
  X(close_already_closed)                                \
  X(close_listener)                                      \
  X(close_linger_wait)                                   \
  X(close_no_connection)                                 \
  X(setsockopt_ok)                                       \
  X(setsockopt_einval)                                   \
  X(setsockopt_enoprotoopt)                              \
  X(setsockopt_enodev)                                   \
  X(getsockopt_ok)                                       \
  X(getsockname_ok)                                      \
  X(socket_ok)                                           \
  X(ebadf)                                               \
  X(time_wait_enter)                                     \
  X(time_wait_overflow)                                  \
  X(time_wait_expire)                                    \
  X(time_wait_rearm)                                     \
  X(time_wait_rst_kill)                                  \
  X(time_wait_syn_accepted)                              \
  X(fin_wait_2_orphan)                                   \
  X(fin_wait_2_linger2_rst)                              \
  X(orphan_data_rst)                                     \
  X(listener_no_match_rst)                               \
  X(setsockopt_reuse_after_bind)

#define PORTLAB_DECLARE_RULE(n) extern const Rule n;
PORTLAB_LINUX_RULES(PORTLAB_DECLARE_RULE)
#undef PORTLAB_DECLARE_RULE
}  // namespace linux_rule

}  // namespace portlab::model
