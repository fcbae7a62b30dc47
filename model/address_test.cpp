#include "model/address.h"

#include <gtest/gtest.h>

namespace portlab::model {
namespace {

TEST(Address, ParsesIpv4AndIpv6WithAndWithoutBrackets) {
  auto a = IpAddress::parse("10.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), Family::inet);
  EXPECT_EQ(a->to_string(), "10.0.0.1");
  auto b = IpAddress::parse("[::1]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->family(), Family::inet6);
  EXPECT_TRUE(b->is_loopback());
  EXPECT_FALSE(IpAddress::parse("10.0.0.256"));
  EXPECT_FALSE(IpAddress::parse(""));
}

TEST(Address, V4MappedIsRecognisedAndUnmapped) {
  auto m = IpAddress::parse("::ffff:127.0.0.1");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_v4_mapped());
  EXPECT_TRUE(m->is_loopback());
  EXPECT_EQ(m->unmapped_v4()->to_string(), "127.0.0.1");
  EXPECT_EQ(IpAddress::parse("127.0.0.1")->mapped_v6(), *m);
  EXPECT_TRUE(IpAddress::parse("::ffff:0.0.0.0")->is_v4_mapped());
  EXPECT_FALSE(IpAddress::parse("::ffff:0.0.0.0")->is_wildcard());
}

TEST(Endpoint, ParsesAndPrintsBothFamilies) {
  auto e = Endpoint::parse("10.0.0.1:5000");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->port, 5000);
  EXPECT_EQ(e->to_string(), "10.0.0.1:5000");
  auto f = Endpoint::parse("[::1]:80");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->to_string(), "[::1]:80");
  EXPECT_FALSE(Endpoint::parse("::1:80"));  // IPv6 needs brackets
  EXPECT_FALSE(Endpoint::parse("10.0.0.1:65536"));
  EXPECT_FALSE(Endpoint::parse("10.0.0.1"));
}

}  // namespace
}  // namespace portlab::model
