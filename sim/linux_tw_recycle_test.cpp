// Specification: what a connection that recycled a TIME-WAIT (tcp_twsk_unique) carries on.
// tcp_twsk_unique hands the new socket the old connection's ts_recent and ts_recent_stamp; nothing
// clears them when the new handshake has no timestamps (tcp_rcv_synsent_state_process), and
// tcp_time_wait copies ts_recent_stamp into the next TIME-WAIT whatever the connection negotiated.
// So once a 4-tuple's TIME-WAIT held a peer timestamp, its successors stay recyclable by a bound
// connect() even with net.ipv4.tcp_timestamps=0. Found by the differential soak against 6.18.44
// (seed 11755164111224413508) and checked there with `portlab conform`.
#include <gtest/gtest.h>

#include "sim/test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Fd;
namespace lr = model::linux_rule;

// One bound connection 127.0.0.1:7001 -> :7000, closed client first (TIME-WAIT on the client).
void connect_and_close_first(LinuxWorld& w, Fd listener, Errno expected_connect) {
  const Fd c = w.socket();
  w.reuse(c, {.ra = true});
  must(w.bind(c, "127.0.0.1:7001"), "bind 7001");
  ASSERT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), expected_connect)) << "connect";
  if (expected_connect != Errno::ok) return;
  const auto a = w.accept(listener);
  ASSERT_TRUE(Gives(a, Errno::ok));
  must(w.close(c), "client closes first");
  must(w.close(static_cast<Fd>(a.value)), "server closes");
  ASSERT_TRUE(w.has_time_wait("127.0.0.1:7001", "127.0.0.1:7000"));
}

TEST(LinuxTimeWaitRecycle, Linux_TimestampsTurnedOff_RecycledTimeWaitPassesItsStampOn_NextRecycleSucceeds) {
  LinuxWorld w;
  const Fd l = w.listener("0.0.0.0:7000", {.ra = true});
  connect_and_close_first(w, l, Errno::ok);  // with timestamps: the TIME-WAIT holds a stamp
  w.knob("net.ipv4.tcp_timestamps", "0");
  connect_and_close_first(w, l, Errno::ok);  // recycles it, inherits the stamp, no timestamps
  // Its own TIME-WAIT has the inherited stamp, so it is recycled again.
  const Fd c = w.socket();
  w.reuse(c, {.ra = true});
  must(w.bind(c, "127.0.0.1:7001"), "bind 7001");
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::ok, lr::connect_bound_time_wait_reused));
}

// Without a stamp ever seen on that 4-tuple, the same sequence fails as semantics.md §2.7 says.
TEST(LinuxTimeWaitRecycle, Linux_TimestampsOffFromTheStart_BoundReconnectOverTimeWait_IsAddrNotAvail) {
  LinuxWorld w;
  w.knob("net.ipv4.tcp_timestamps", "0");
  const Fd l = w.listener("0.0.0.0:7000", {.ra = true});
  connect_and_close_first(w, l, Errno::ok);
  const Fd c = w.socket();
  w.reuse(c, {.ra = true});
  must(w.bind(c, "127.0.0.1:7001"), "bind 7001");
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.1:7000"), Errno::eaddrnotavail, lr::connect_bound_time_wait_no_timestamps));
}

// A port's bind bucket shut to connect() by a listener that autobound it reopens when the last
// such owner leaves, although a connect()-made TIME-WAIT remains in it (Linux since "tcp: Update
// bind bucket state on port release", 2025; found by the differential test, seed 31, on 6.18.44).
// The linux-6.13 variant keeps the older rule: the bucket stays shut until it is empty.
void one_port_listener_over_time_wait(LinuxWorld& w) {
  w.knob("net.ipv4.ip_local_port_range", "40000 40000");
  const Fd l = w.listener("0.0.0.0:7000", {.ra = true});
  const Fd c = w.socket();
  w.reuse(c, {.ra = true});
  must(w.connect(c, "127.0.0.1:7000"), "autobind connect: port 40000");
  const Fd a = static_cast<Fd>(must(w.accept(l), "accept").value);
  must(w.close(c), "client closes first");
  must(w.close(a), "server closes");
  ASSERT_TRUE(w.has_time_wait("127.0.0.1:40000", "127.0.0.1:7000"));
  const Fd s = w.socket();
  w.reuse(s, {.ra = true});
  w.knob("net.ipv4.ip_autobind_reuse", "1");  // lets listen()'s autobind share with the TIME-WAIT
  must(w.listen(s), "listen autobinds 40000 beside the TIME-WAIT");
  must(w.close(s), "the listener goes");
}

TEST(LinuxBindBucket, Linux_LastBoundOwnerGone_ConnectMayUseThePortBesideAConnectMadeTimeWait) {
  LinuxWorld w;
  one_port_listener_over_time_wait(w);
  const Fd c = w.socket();
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.2:7000"), Errno::ok, lr::connect_autobind_ok));
}

TEST(LinuxBindBucket, Linux613_LastBoundOwnerGone_BucketStaysShutToConnect_IsAddrNotAvail) {
  LinuxWorld w = LinuxWorld::with_profile(model::linux_613_profile());
  one_port_listener_over_time_wait(w);
  const Fd c = w.socket();
  EXPECT_TRUE(Gives(w.connect(c, "127.0.0.2:7000"), Errno::eaddrnotavail));
}

}  // namespace
}  // namespace portlab::testing
