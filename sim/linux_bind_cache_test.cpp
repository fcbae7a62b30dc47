// Specification: Linux's bind bucket caches a summary of its owners (struct inet_bind_bucket:
// fastreuse, fastreuseport, fastuid, the address of the socket that set it), written by
// inet_csk_update_fastreuse, and inet_csk_get_port admits a socket without any conflict check when
// sk_reuseport_match says the cache covers it. The cache forgets owners, so it can admit a bind the
// owners would refuse (semantics.md §2.3 says the fast paths "must give the same answer"; the
// differential soak showed otherwise on 6.18: props/conform-cases/reuseport-bucket-cache-*.pls).
#include <gtest/gtest.h>

#include "model/linux_profile.h"
#include "sim/test_support.h"

namespace portlab::testing {
namespace {

using model::Errno;
using model::Fd;
using model::SockOpt;
namespace lr = model::linux_rule;

// s10 (SO_REUSEADDR+SO_REUSEPORT, 0.0.0.0) and s11 (SO_REUSEADDR, 127.0.0.1) share port 5000;
// listen(s10) passes the re-check and resets the cache to FASTREUSEPORT_STRICT for s10.
struct CachedGroup {
  LinuxWorld w;
  Fd s10 = -1, s11 = -1;
  explicit CachedGroup(bool s10_listens, const model::Profile& p = model::linux_profile())
      : w(LinuxWorld::with_profile(p)) {
    s10 = w.socket();
    w.reuse(s10, {.ra = true, .rp = true});
    EXPECT_TRUE(Gives(w.bind(s10, "0.0.0.0:5000"), Errno::ok));
    s11 = w.socket();
    w.reuse(s11, {.ra = true});
    EXPECT_TRUE(Gives(w.bind(s11, "127.0.0.1:5000"), Errno::ok, lr::bind_shared_reuseaddr));
    if (s10_listens) {
      EXPECT_TRUE(Gives(w.listen(s10), Errno::ok, lr::listen_ok));
    }
  }
};

// a binds 127.0.0.1:5000 with the option `opt` (`r` says which) and then clears it; b, with the
// option set, binds the same address: its result.
model::CallResult bind_next_to_cleared(LinuxWorld& w, Reuse r, SockOpt opt) {
  const Fd a = w.socket();
  w.reuse(a, r);
  EXPECT_TRUE(Gives(w.bind(a, "127.0.0.1:5000"), Errno::ok));
  EXPECT_TRUE(Gives(w.setopt(a, opt, std::int64_t{0}), Errno::ok));
  const Fd b = w.socket();
  w.reuse(b, r);
  return w.bind(b, "127.0.0.1:5000");
}

TEST(LinuxBindCache, Linux_ListenResetsReusePortCache_ReusePortBindOverOwnerWithout_IsAdmitted) {
  CachedGroup g(true);
  const Fd s2 = g.w.socket();
  g.w.reuse(s2, {.rp = true});
  // s11 has no SO_REUSEPORT and s2 no SO_REUSEADDR: the owners would say EADDRINUSE.
  EXPECT_TRUE(Gives(g.w.bind(s2, "127.0.0.1:5000"), Errno::ok, lr::bind_fast_path_reuseport));
}

TEST(LinuxBindCache, Linux_NoListen_CacheStaysOff_ReusePortBindOverOwnerWithout_IsAddrInUse) {
  CachedGroup g(false);
  const Fd s2 = g.w.socket();
  g.w.reuse(s2, {.rp = true});
  EXPECT_TRUE(Gives(g.w.bind(s2, "127.0.0.1:5000"), Errno::eaddrinuse, lr::bind_conflict_no_reuse));
}

TEST(LinuxBindCache, Linux_CacheCoversOnlyItsUid_OtherUid_IsAddrInUse) {
  CachedGroup g(true);
  const Fd s2 = g.w.socket({.uid = 1000});
  g.w.reuse(s2, {.rp = true});
  EXPECT_TRUE(Gives(g.w.bind(s2, "127.0.0.1:5000"), Errno::eaddrinuse));
}

TEST(LinuxBindCache, Linux_StrictCacheOnSpecificAddress_DoesNotCoverWildcard_IsAddrInUse) {
  LinuxWorld w;
  const Fd a = w.socket();
  w.reuse(a, {.rp = true});
  ASSERT_TRUE(Gives(w.bind(a, "127.0.0.1:5000"), Errno::ok));
  const Fd b = w.socket();
  ASSERT_TRUE(Gives(w.bind(b, "127.0.0.2:5000"), Errno::ok));  // no overlap, cache off
  ASSERT_TRUE(Gives(w.listen(a), Errno::ok));                  // STRICT for 127.0.0.1
  const Fd c = w.socket();
  w.reuse(c, {.rp = true});
  // sk_reuseport_match: the cached 127.0.0.1 covers 127.0.0.1 only (match_sk2_wildcard = false).
  EXPECT_TRUE(Gives(w.bind(c, "0.0.0.0:5000"), Errno::eaddrinuse));
  const Fd d = w.socket();
  w.reuse(d, {.rp = true});
  // ...and the listener a shares with d by the owners' own rule, so this one is admitted anyway.
  EXPECT_TRUE(Gives(w.bind(d, "127.0.0.1:5000"), Errno::ok, lr::bind_shared_reuseport));
}

TEST(LinuxBindCache, Linux_ReusePortClearedAfterBind_StillCounts_ReusePortBind_IsAdmitted) {
  LinuxWorld w;
  EXPECT_TRUE(Gives(bind_next_to_cleared(w, {.rp = true}, SockOpt::so_reuseport), Errno::ok, lr::bind_fast_path_reuseport));
}

// Since 6.8 inet_csk_update_fastreuse never takes its first-owner branch, so tb->fastreuse is
// never 1: a cleared SO_REUSEADDR is seen by the conflict check.
TEST(LinuxBindCache, Linux_ReuseAddrClearedAfterBind_ReuseAddrBind_IsAddrInUse) {
  LinuxWorld w;
  EXPECT_TRUE(Gives(bind_next_to_cleared(w, {.ra = true}, SockOpt::so_reuseaddr), Errno::eaddrinuse,
                    lr::bind_conflict_no_reuse));
}

// Before 6.8 (linux-4.4): the first owner sets tb->fastreuse = 1, which then admits any
// SO_REUSEADDR bind even after that owner cleared the flag.
TEST(LinuxBindCache, Linux44_ReuseAddrClearedAfterBind_ReuseAddrBind_IsAdmittedByFastReuse) {
  LinuxWorld w = LinuxWorld::with_profile(model::linux_44_profile());
  EXPECT_TRUE(Gives(bind_next_to_cleared(w, {.ra = true}, SockOpt::so_reuseaddr), Errno::ok,
                    lr::bind_fast_path_reuseaddr));
}

// linux-4.4 has no FASTREUSEPORT_STRICT: once an owner without SO_REUSEPORT joined, the cache is
// off for good, and listen() does not turn it back on.
TEST(LinuxBindCache, Linux44_ListenDoesNotResetCache_ReusePortBindOverOwnerWithout_IsAddrInUse) {
  CachedGroup g(true, model::linux_44_profile());
  const Fd s2 = g.w.socket();
  g.w.reuse(s2, {.rp = true});
  EXPECT_TRUE(Gives(g.w.bind(s2, "127.0.0.1:5000"), Errno::eaddrinuse));
}

}  // namespace
}  // namespace portlab::testing
