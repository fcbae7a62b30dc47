#include "sim/script/parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace portlab::sim::script;
namespace model = portlab::model;
using namespace std::chrono_literals;

constexpr std::string_view kTwoHosts = "host client 10.0.0.1\nhost server 10.0.0.2\n";
constexpr std::string_view kSock = "c = socket(inet, stream)\n";

Script parse_ok(std::string_view text) {
  auto r = parse_script(text, "t.plab");
  EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->render() : std::string());
  EXPECT_TRUE(r.script.has_value());
  return r.script ? *r.script : Script{};
}

// The script must fail at exactly line:column with a message containing `fragment`.
::testing::AssertionResult FailsAt(std::string_view text, int line, int column, std::string_view fragment) {
  auto r = parse_script(text, "t.plab");
  if (r.script) return ::testing::AssertionFailure() << "parsed without error";
  if (!r.error) return ::testing::AssertionFailure() << "neither a script nor an error";
  const Diagnostic& e = *r.error;
  if (e.loc.line != line || e.loc.column != column || e.message.find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure() << "got:\n"
                                         << e.render() << "wanted " << line << ":" << column << " with '" << fragment
                                         << "'";
  }
  return ::testing::AssertionSuccess();
}

template <class T, class V>
const T& as(const V& v) {
  const T* p = std::get_if<T>(&v);
  EXPECT_NE(p, nullptr);
  static const T empty{};
  return p ? *p : empty;
}

const CallStep& call_step(const Script& s, std::size_t i) {
  static const CallStep empty{};
  if (i >= s.steps.size()) {
    ADD_FAILURE() << "no step " << i;
    return empty;
  }
  return as<CallStep>(s.steps[i].body);
}

const ExpectStep& expect_step(const Script& s, std::size_t i) {
  static const ExpectStep empty{};
  if (i >= s.steps.size()) {
    ADD_FAILURE() << "no step " << i;
    return empty;
  }
  return as<ExpectStep>(s.steps[i].body);
}

model::IpAddress ip(std::string_view text) { return *model::IpAddress::parse(text); }

// =============================================================================================
// Well-formed scripts

constexpr std::string_view kExample = R"(# fixed-port reconnect after a graceful close
host client 10.0.0.1
host server 10.0.0.2
sysctl client net.ipv4.tcp_timestamps=1
server: l = socket(inet, stream)
server: bind(l, 0.0.0.0:80) = 0
server: listen(l, 16) = 0
client: c = socket(inet, stream)
client: setsockopt(c, SO_REUSEADDR, 1) = 0
client: bind(c, 10.0.0.1:5000) = 0
client: connect(c, 10.0.0.2:80) = 0
server: a = accept(l)
client: close(c) = 0
server: close(a) = 0
wait 1s
client: c2 = socket(inet, stream)
client: setsockopt(c2, SO_REUSEADDR, 1) = 0
client: bind(c2, 10.0.0.1:5000) = 0
client: connect(c2, 10.0.0.2:80) = 0
expect client: state 10.0.0.1:5000 -> 10.0.0.2:80 == ESTABLISHED
)";

TEST(Parser_Example, ParsesHostsAndEveryStepInOrder) {
  const Script s = parse_ok(kExample);
  EXPECT_EQ(s.file, "t.plab");
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[0].name, "client");
  EXPECT_EQ(s.hosts[0].addresses, std::vector<model::IpAddress>{ip("10.0.0.1")});
  EXPECT_EQ(s.hosts[0].prefix_lengths, std::vector<int>{32});
  EXPECT_EQ(s.hosts[1].name, "server");
  ASSERT_EQ(s.steps.size(), 17u);

  const auto& sys = as<SysctlStep>(s.steps[0].body);
  EXPECT_EQ(sys.host, "client");
  EXPECT_EQ(sys.name, "net.ipv4.tcp_timestamps");
  EXPECT_EQ(sys.value, "1");
  EXPECT_EQ(sys.value_loc.line, 4);
  EXPECT_EQ(sys.value_loc.column, 39);

  const auto& l = call_step(s, 1);
  EXPECT_EQ(l.host, "server");
  EXPECT_EQ(l.bind_var, "l");
  EXPECT_EQ(l.call.kind, CallKind::socket);
  EXPECT_EQ(l.call.loc.line, 5);
  EXPECT_EQ(l.call.loc.column, 13);
  EXPECT_TRUE(l.expects.empty());
  EXPECT_EQ(s.steps[1].loc.line, 5);
  EXPECT_EQ(s.steps[1].loc.column, 1);
  EXPECT_EQ(s.steps[1].text, "server: l = socket(inet, stream)");

  const auto& bind = call_step(s, 2);
  EXPECT_EQ(bind.call.kind, CallKind::bind);
  ASSERT_TRUE(bind.call.sock.has_value());
  EXPECT_EQ(bind.call.sock->name, "l");
  EXPECT_EQ(bind.call.sock->loc.column, 14);
  ASSERT_TRUE(bind.call.endpoint.has_value());
  EXPECT_EQ(bind.call.endpoint->addr, model::IpAddress::any(model::Family::inet));
  EXPECT_EQ(std::get<std::uint16_t>(bind.call.endpoint->port), 80);
  EXPECT_EQ(bind.call.endpoint->loc.column, 17);
  ASSERT_EQ(bind.expects.size(), 1u);
  EXPECT_EQ(bind.expects.at(0).loc.column, 29);
  ASSERT_EQ(bind.expects.at(0).alternatives.size(), 1u);
  EXPECT_EQ(std::get<std::int64_t>(*bind.expects.at(0).alternatives[0].integer), 0);

  EXPECT_EQ(call_step(s, 8).call.kind, CallKind::accept);
  EXPECT_EQ(call_step(s, 8).bind_var, "a");
  EXPECT_EQ(as<WaitStep>(s.steps[11].body).duration, 1s);
  EXPECT_EQ(call_step(s, 12).bind_var, "c2");

  const auto& ex = expect_step(s, 16);
  EXPECT_EQ(ex.host, "client");
  const auto& st = as<ExpectTupleState>(ex.what);
  EXPECT_EQ(st.local.addr, ip("10.0.0.1"));
  EXPECT_EQ(std::get<std::uint16_t>(st.local.port), 5000);
  EXPECT_EQ(st.local.loc.column, 22);
  EXPECT_EQ(st.remote.addr, ip("10.0.0.2"));
  EXPECT_EQ(st.remote.loc.column, 39);
  EXPECT_EQ(st.op, CompareOp::eq);
  EXPECT_EQ(st.state, model::TcpState::established);
  EXPECT_EQ(s.steps[16].loc.line, 20);
}

TEST(Parser_Empty, EmptyTextIsAScriptWithNoHostsAndNoSteps) {
  const Script s = parse_ok("");
  EXPECT_TRUE(s.hosts.empty());
  EXPECT_TRUE(s.steps.empty());
  EXPECT_TRUE(parse_ok("\n\n   # only a comment\n\t\n").steps.empty());
}

TEST(Parser_Host, AcceptsSeveralAddressesPrefixesIPv6AndDevices) {
  const Script s = parse_ok("host r 10.0.0.1/24 192.168.1.1 fe80::1/64 [2001:db8::2] dev eth0 eth1 veth-a.100\n");
  ASSERT_EQ(s.hosts.size(), 1u);
  const HostDecl& h = s.hosts[0];
  EXPECT_EQ(h.name, "r");
  EXPECT_EQ(h.addresses,
            (std::vector<model::IpAddress>{ip("10.0.0.1"), ip("192.168.1.1"), ip("fe80::1"), ip("2001:db8::2")}));
  EXPECT_EQ(h.prefix_lengths, (std::vector<int>{24, 32, 64, 128}));
  EXPECT_EQ(h.devices, (std::vector<std::string>{"eth0", "eth1", "veth-a.100"}));
}

TEST(Parser_Host, HostNamedLocalAndNamesWithDashesAreAllowed) {
  const Script s = parse_ok(
      "host local 127.0.0.1\nhost db-1 10.0.0.9\nlocal: c = socket(inet, stream)\ndb-1: d = socket(inet, stream)\n");
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(call_step(s, 0).host, "local");
  EXPECT_EQ(call_step(s, 1).host, "db-1");
}

TEST(Parser_Host, WithoutHostLinesTheImplicitHostLocalMayBeNamed) {
  const Script s =
      parse_ok("local: c = socket(inet, stream)\nc2 = socket(inet, stream)\nsysctl local net.ipv4.tcp_tw_reuse=1\n");
  EXPECT_TRUE(s.hosts.empty());
  EXPECT_EQ(call_step(s, 0).host, "local");
  EXPECT_FALSE(call_step(s, 1).host.has_value());
  EXPECT_EQ(as<SysctlStep>(s.steps[2].body).host, "local");
}

TEST(Parser_Host, WithOneHostThePrefixIsOptional) {
  const Script s =
      parse_ok("host only 10.0.0.1\nc = socket(inet, stream)\nonly: close(c) = 0\nexpect count TIME-WAIT == 0\n");
  EXPECT_FALSE(call_step(s, 0).host.has_value());
  EXPECT_EQ(call_step(s, 1).host, "only");
  EXPECT_FALSE(expect_step(s, 2).host.has_value());
}

TEST(Parser_Sysctl, ValueIsTheTrimmedRestOfTheLineWithoutComment) {
  const Script s = parse_ok(
      "sysctl net.ipv4.ip_local_port_range = 32768 60999   # default range\n"
      "sysctl net.ipv4.ip_local_reserved_ports=40000,40005-40007\n"
      "sysctl net.ipv4.ip_local_port_range=40000-40010\n");
  ASSERT_EQ(s.steps.size(), 3u);
  const auto& a = as<SysctlStep>(s.steps[0].body);
  EXPECT_FALSE(a.host.has_value());
  EXPECT_EQ(a.name, "net.ipv4.ip_local_port_range");
  EXPECT_EQ(a.value, "32768 60999");
  EXPECT_EQ(a.value_loc.column, 39);
  EXPECT_EQ(s.steps[0].text, "sysctl net.ipv4.ip_local_port_range = 32768 60999");
  EXPECT_EQ(as<SysctlStep>(s.steps[1].body).value, "40000,40005-40007");
  EXPECT_EQ(as<SysctlStep>(s.steps[2].body).value, "40000-40010");
}

TEST(Parser_Wait, ConvertsEveryUnitAndExactDecimalsToNanoseconds) {
  const Script s = parse_ok(
      "wait 1s\nwait 250ms\nwait 2m\nwait 1.5s\nwait 0s\nwait 10us\nwait 7ns\nwait 0.25ms\nwait 1.000000001s\n");
  const std::vector<model::Duration> want{1s, 250ms, 2min, 1500ms, 0s, 10us, 7ns, 250us, 1000000001ns};
  ASSERT_EQ(s.steps.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(as<WaitStep>(s.steps[i].body).duration, want[i]) << i;
}

TEST(Parser_Socket, AcceptsFamilyAndOptionalFlagsInEitherOrder) {
  const Script s = parse_ok(
      "a = socket(inet, stream)\n"
      "b = socket(inet6, stream, nonblock)\n"
      "c = socket(inet, stream, uid=1000, nonblock)\n"
      "d = socket(inet6, stream, nonblock, uid = 0)\n");
  const auto& a = call_step(s, 0).call.socket_args;
  EXPECT_EQ(a.family, model::Family::inet);
  EXPECT_FALSE(a.nonblock);
  EXPECT_FALSE(a.uid.has_value());
  const auto& b = call_step(s, 1).call.socket_args;
  EXPECT_EQ(b.family, model::Family::inet6);
  EXPECT_TRUE(b.nonblock);
  const auto& c = call_step(s, 2).call.socket_args;
  EXPECT_TRUE(c.nonblock);
  EXPECT_EQ(c.uid, 1000u);
  const auto& d = call_step(s, 3).call.socket_args;
  EXPECT_TRUE(d.nonblock);
  EXPECT_EQ(d.uid, 0u);
}

TEST(Parser_Setsockopt, ParsesEveryValueKind) {
  const Script s = parse_ok(std::string(kSock) +
                            "setsockopt(c, SO_REUSEPORT, 1) = 0\n"
                            "setsockopt(c, TCP_LINGER2, -1) = 0\n"
                            "setsockopt(c, SO_LINGER, {1, 0}) = 0\n"
                            "setsockopt(c, SO_BINDTODEVICE, eth0) = 0\n"
                            "setsockopt(c, SO_BINDTODEVICE, \"\") = 0\n"
                            "setsockopt(c, SO_BINDTODEVICE, \"br#0\") = 0  # '#' inside quotes is no comment\n"
                            "setsockopt(c, IP_LOCAL_PORT_RANGE, 40000-40010) = 0\n");
  EXPECT_EQ(call_step(s, 1).call.opt, model::SockOpt::so_reuseport);
  EXPECT_EQ(call_step(s, 1).call.opt_value, model::OptValue{std::int64_t{1}});
  EXPECT_EQ(call_step(s, 2).call.opt_value, model::OptValue{std::int64_t{-1}});
  EXPECT_EQ(call_step(s, 3).call.opt_value, model::OptValue{(model::Linger{true, 0})});
  EXPECT_EQ(call_step(s, 4).call.opt_value, model::OptValue{std::string("eth0")});
  EXPECT_EQ(call_step(s, 5).call.opt_value, model::OptValue{std::string()});
  EXPECT_EQ(call_step(s, 6).call.opt_value, model::OptValue{std::string("br#0")});
  EXPECT_EQ(s.steps[6].text, "setsockopt(c, SO_BINDTODEVICE, \"br#0\") = 0");
  EXPECT_EQ(call_step(s, 7).call.opt_value, model::OptValue{(model::PortRange{40000, 40010})});
}

TEST(Parser_Getsockopt, ExpectationTakesTheOptionsValueForm) {
  const Script s = parse_ok(std::string(kSock) +
                            "getsockopt(c, SO_REUSEADDR) = 1\n"
                            "getsockopt(c, SO_LINGER) = {0, 5}\n"
                            "getsockopt(c, SO_BINDTODEVICE) = lo | \"\"\n"
                            "getsockopt(c, IP_LOCAL_PORT_RANGE) = 0-0 | -1 ENOPROTOOPT\n"
                            "getsockopt(c, TCP_LINGER2) = -1 | 60\n");
  const auto& a = call_step(s, 1);
  EXPECT_EQ(a.call.kind, CallKind::getsockopt);
  EXPECT_EQ(a.call.opt, model::SockOpt::so_reuseaddr);
  EXPECT_FALSE(a.call.opt_value.has_value());
  EXPECT_EQ(std::get<std::int64_t>(*a.expects.at(0).alternatives[0].integer), 1);
  EXPECT_EQ(call_step(s, 2).expects.at(0).alternatives[0].opt_value, model::OptValue{(model::Linger{false, 5})});
  const auto& d = call_step(s, 3).expects.at(0).alternatives;
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].opt_value, model::OptValue{std::string("lo")});
  EXPECT_EQ(d[1].opt_value, model::OptValue{std::string()});
  const auto& r = call_step(s, 4).expects.at(0).alternatives;
  EXPECT_EQ(r[0].opt_value, model::OptValue{(model::PortRange{0, 0})});
  EXPECT_EQ(r[1].error, model::Errno::enoprotoopt);
  const auto& l2 = call_step(s, 5).expects.at(0).alternatives;
  EXPECT_EQ(std::get<std::int64_t>(*l2[0].integer), -1);  // a value, not an error
  EXPECT_FALSE(l2[0].error.has_value());
}

TEST(Parser_Endpoint, AcceptsIPv4IPv6InBracketsAndIntegerVariablePorts) {
  const Script s = parse_ok(
      "c = socket(inet6, stream)\n"
      "bind(c, [::]:0) = 0\n"
      "P = port(c)\n"
      "connect(c, [2001:db8::1]:P) = 0 | -1 EINPROGRESS\n"
      "d = socket(inet, stream)\n"
      "bind(d, 10.0.0.1:P) = -1 EADDRINUSE\n");
  const auto& b = call_step(s, 1).call.endpoint;
  EXPECT_EQ(b->addr, model::IpAddress::any(model::Family::inet6));
  EXPECT_EQ(std::get<std::uint16_t>(b->port), 0);
  const auto& port = call_step(s, 2);
  EXPECT_EQ(port.call.kind, CallKind::port);
  EXPECT_EQ(port.bind_var, "P");
  const auto& c = call_step(s, 3);
  EXPECT_EQ(c.call.endpoint->addr, ip("2001:db8::1"));
  const auto& pv = std::get<VarRef>(c.call.endpoint->port);
  EXPECT_EQ(pv.name, "P");
  EXPECT_EQ(pv.loc.line, 4);
  EXPECT_EQ(pv.loc.column, 26);
  ASSERT_EQ(c.expects.at(0).alternatives.size(), 2u);
  EXPECT_EQ(c.expects.at(0).alternatives[1].error, model::Errno::einprogress);
  EXPECT_EQ(c.expects.at(0).alternatives[1].loc.column, 35);
  EXPECT_EQ(std::get<VarRef>(call_step(s, 5).call.endpoint->port).name, "P");
}

TEST(Parser_Calls, ParsesListenAcceptSendRecvShutdownCloseGetsockname) {
  const Script s = parse_ok(std::string(kSock) +
                            "N = port(c)\n"
                            "listen(c) = 0\n"
                            "listen(c, 128) = 0\n"
                            "listen(c, N)\n"
                            "a = accept(c) = -1 EAGAIN | -1 EWOULDBLOCK\n"
                            "send(a, 100) = 100\n"
                            "recv(a, N) = N | 0\n"
                            "shutdown(a, SHUT_RD) = 0\n"
                            "shutdown(a, SHUT_WR) = 0\n"
                            "shutdown(a, SHUT_RDWR) = -1 ENOTCONN\n"
                            "getsockname(a) = 10.0.0.1:N | [::1]:80 | -1 EBADF\n"
                            "close(a)\n");
  EXPECT_FALSE(call_step(s, 2).call.count.has_value());
  EXPECT_EQ(std::get<std::int64_t>(*call_step(s, 3).call.count), 128);
  EXPECT_EQ(std::get<VarRef>(*call_step(s, 4).call.count).name, "N");
  const auto& acc = call_step(s, 5);
  EXPECT_EQ(acc.bind_var, "a");
  EXPECT_EQ(acc.expects.at(0).alternatives[0].error, model::Errno::eagain);
  EXPECT_EQ(acc.expects.at(0).alternatives[1].error, model::Errno::eagain);
  EXPECT_EQ(call_step(s, 6).call.kind, CallKind::send);
  EXPECT_EQ(std::get<std::int64_t>(*call_step(s, 6).call.count), 100);
  const auto& rv = call_step(s, 7);
  EXPECT_EQ(rv.call.kind, CallKind::recv);
  EXPECT_EQ(std::get<VarRef>(*rv.expects.at(0).alternatives[0].integer).name, "N");
  EXPECT_EQ(call_step(s, 8).call.how, ShutdownHow::rd);
  EXPECT_EQ(call_step(s, 9).call.how, ShutdownHow::wr);
  EXPECT_EQ(call_step(s, 10).call.how, ShutdownHow::rdwr);
  const auto& gs = call_step(s, 11).expects.at(0).alternatives;
  ASSERT_EQ(gs.size(), 3u);
  EXPECT_EQ(gs[0].endpoint->addr, ip("10.0.0.1"));
  EXPECT_EQ(std::get<VarRef>(gs[0].endpoint->port).name, "N");
  EXPECT_EQ(gs[1].endpoint->addr, ip("::1"));
  EXPECT_EQ(gs[2].error, model::Errno::ebadf);
  EXPECT_EQ(call_step(s, 12).call.kind, CallKind::close);
  EXPECT_TRUE(call_step(s, 12).expects.empty());
}

TEST(Parser_Variables, RebindingWithTheSameTypeIsAllowed) {
  const Script s =
      parse_ok(std::string(kSock) + "c = socket(inet6, stream)\nP = port(c)\nP = port(c)\nc = accept(c)\n");
  EXPECT_EQ(s.steps.size(), 5u);
}

TEST(Parser_Variables, KeywordsMayBeUsedAsVariableNames) {
  const Script s =
      parse_ok("state = socket(inet, stream)\ncount = port(state)\nexpect count > 0\nexpect state state == LISTEN\n");
  EXPECT_EQ(as<ExpectCompare>(expect_step(s, 2).what).op, CompareOp::gt);
  EXPECT_EQ(as<ExpectSocketState>(expect_step(s, 3).what).sock.name, "state");
}

TEST(Parser_Expect, ParsesTupleStateWithNoneInequalityAndIPv6) {
  const Script s = parse_ok(
      "expect state 10.0.0.1:5000 -> 10.0.0.2:80 == none\n"
      "expect state [::1]:5000->[::1]:80 != TIME_WAIT\n"
      "expect state 10.0.0.1:1 -> 10.0.0.2:2 == FIN_WAIT2\n");
  const auto& a = as<ExpectTupleState>(expect_step(s, 0).what);
  EXPECT_FALSE(a.state.has_value());
  const auto& b = as<ExpectTupleState>(expect_step(s, 1).what);
  EXPECT_EQ(b.op, CompareOp::ne);
  EXPECT_EQ(b.state, model::TcpState::time_wait);
  EXPECT_EQ(b.local.addr, ip("::1"));
  EXPECT_EQ(b.remote.loc.column, 26);
  EXPECT_EQ(as<ExpectTupleState>(expect_step(s, 2).what).state, model::TcpState::fin_wait_2);
}

TEST(Parser_Expect, ParsesSocketStateCountRangeAndComparisons) {
  const Script s = parse_ok(std::string(kSock) +
                            "P = port(c)\n"
                            "expect state c == SYN-SENT\n"
                            "expect state c != CLOSED\n"
                            "expect count TIME-WAIT == 1\n"
                            "expect count ESTABLISHED port 5000 >= 2\n"
                            "expect count ESTABLISHED port P < 3\n"
                            "expect P in 32768..60999\n"
                            "expect P != 5000\n"
                            "expect 5000 <= P\n"
                            "expect P > -1\n");
  const auto& ss = as<ExpectSocketState>(expect_step(s, 2).what);
  EXPECT_EQ(ss.sock.name, "c");
  EXPECT_EQ(ss.sock.loc.column, 14);
  EXPECT_EQ(ss.state, model::TcpState::syn_sent);
  EXPECT_EQ(as<ExpectSocketState>(expect_step(s, 3).what).op, CompareOp::ne);
  const auto& c1 = as<ExpectCount>(expect_step(s, 4).what);
  EXPECT_EQ(c1.state, model::TcpState::time_wait);
  EXPECT_FALSE(c1.port.has_value());
  EXPECT_EQ(c1.value, 1);
  const auto& c2 = as<ExpectCount>(expect_step(s, 5).what);
  EXPECT_EQ(std::get<std::uint16_t>(*c2.port), 5000);
  EXPECT_EQ(c2.op, CompareOp::ge);
  const auto& c3 = as<ExpectCount>(expect_step(s, 6).what);
  EXPECT_EQ(std::get<VarRef>(*c3.port).name, "P");
  EXPECT_EQ(c3.op, CompareOp::lt);
  const auto& r = as<ExpectInRange>(expect_step(s, 7).what);
  EXPECT_EQ(std::get<VarRef>(r.value).name, "P");
  EXPECT_EQ(r.low, 32768);
  EXPECT_EQ(r.high, 60999);
  const auto& ne = as<ExpectCompare>(expect_step(s, 8).what);
  EXPECT_EQ(ne.op, CompareOp::ne);
  EXPECT_EQ(std::get<std::int64_t>(ne.rhs), 5000);
  const auto& le = as<ExpectCompare>(expect_step(s, 9).what);
  EXPECT_EQ(std::get<std::int64_t>(le.lhs), 5000);
  EXPECT_EQ(le.op, CompareOp::le);
  EXPECT_EQ(std::get<std::int64_t>(as<ExpectCompare>(expect_step(s, 10).what).rhs), -1);
}

TEST(Parser_Expect, HostStateExpectationsCarryTheHostPrefix) {
  const Script s =
      parse_ok(std::string(kTwoHosts) +
               "expect server: count LISTEN == 0\nexpect client : state 10.0.0.1:1 -> 10.0.0.2:2 == none\n");
  EXPECT_EQ(expect_step(s, 0).host, "server");
  EXPECT_EQ(expect_step(s, 1).host, "client");
}

TEST(Parser_Lexical, HandlesCrlfTabsCommentsAndMissingFinalNewline) {
  const Script s = parse_ok("c = socket(inet, stream)\r\n\t close(c)\t=\t0   # done\r\n\r\nwait 1s");
  ASSERT_EQ(s.steps.size(), 3u);
  EXPECT_EQ(s.steps[1].text, "close(c)\t=\t0");
  EXPECT_EQ(s.steps[1].loc.line, 2);
  EXPECT_EQ(s.steps[1].loc.column, 3);
  EXPECT_EQ(call_step(s, 1).call.loc.column, 3);
  EXPECT_EQ(s.steps[2].loc.line, 4);
  EXPECT_EQ(s.steps[2].text, "wait 1s");
}

TEST(Parser_Lexical, AcceptsUtf8CommentsAndALeadingByteOrderMark) {
  const Script s = parse_ok("\xEF\xBB\xBFwait 1s  # attendre \xC3\xA9t\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80\n");
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.steps[0].loc.column, 1);
}

TEST(Parser_Lexical, NoSpacesAroundPunctuationIsFine) {
  const Script s = parse_ok(
      "host client 10.0.0.1\nclient:c=socket(inet,stream)\nclient:bind(c,10.0.0.1:5000)=0|-1 EADDRINUSE\n"
      "expect client:state 10.0.0.1:5000->10.0.0.2:80==ESTABLISHED\n"
      "host_-x = socket(inet,stream,nonblock,uid=5)\n");
  EXPECT_EQ(call_step(s, 1).expects.at(0).alternatives.size(), 2u);
  EXPECT_EQ(call_step(s, 3).bind_var, "host_-x");
}

TEST(Parser_Limits, AcceptsALineOfExactly4096BytesAnd64Hosts) {
  std::string text = "wait 1s #" + std::string(kMaxLineBytes - 9, 'x') + "\n";
  ASSERT_EQ(text.size(), kMaxLineBytes + 1);
  EXPECT_EQ(parse_ok(text).steps.size(), 1u);
  std::string hosts;
  for (int i = 0; i < 64; ++i) hosts += "host h" + std::to_string(i) + " 10.0." + std::to_string(i) + ".1\n";
  EXPECT_EQ(parse_ok(hosts).hosts.size(), 64u);
}

// =============================================================================================
// Malformed scripts: each names the exact line and column, and says what was expected/found.

TEST(Parser_UndefinedSocketVariable, ReportsLineAndColumn) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c2) = 0\n", 2, 7, "undefined variable 'c2'"));
}

TEST(Parser_UndefinedVariable, SuggestsAKnownVariableOfTheRightType) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(cc)\n", 2, 7, "undefined variable 'cc'; did you mean 'c'?"));
}

TEST(Parser_MissingArgument, SaysCommaExpectedAfterSocketVariableFoundParen) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c) = 0\n", 2, 7, "expected ',' after socket variable, found ')'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c) = 0\n", 2, 7, "bind takes 2 arguments (socket, address:port)"));
}

TEST(Parser_MissingComma, NamesTheTokenFoundInstead) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c 10.0.0.1:80) = 0\n", 2, 8,
                      "expected ',' after socket variable, found '10.0.0.1:80'"));
}

TEST(Parser_UnknownCall, ListsTheKnownCalls) {
  EXPECT_TRUE(FailsAt("bnd(c, 10.0.0.1:80)\n", 1, 1,
                      "unknown call 'bnd'; expected one of socket, setsockopt, getsockopt, bind"));
  EXPECT_TRUE(FailsAt("bnd(c, 10.0.0.1:80)\n", 1, 1, "did you mean 'bind'?"));
}

TEST(Parser_IntegerVariableAsSocket, ReportsTheVariableAndTheExpectedType) {
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "P = port(c)\nclose(P)\n", 3, 7, "'P' is an integer variable, expected a socket"));
}

TEST(Parser_SocketVariableAsPort, ReportsTheVariableAndTheExpectedType) {
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:c)\n", 2, 18, "'c' is a socket variable, expected an integer"));
}

TEST(Parser_UndefinedPortVariable, ReportsThePortColumn) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:Q)\n", 2, 18, "undefined variable 'Q'"));
}

TEST(Parser_UnknownSocketOption, ReportsTheOptionName) {
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "setsockopt(c, SO_REUSE, 1) = 0\n", 2, 15, "unknown socket option 'SO_REUSE'"));
}

TEST(Parser_PortOutOfRange, ReportsThePortColumn) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:70000) = 0\n", 2, 18, "port 70000 out of range 0..65535"));
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:99999999999999999999999) = 0\n", 2, 18, "out of range 0..65535"));
}

TEST(Parser_BadIPv4Address, ReportsTheAddress) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c, 10.0.0.300:80) = 0\n", 2, 9, "bad IPv4/IPv6 address '10.0.0.300'"));
}

TEST(Parser_BareIPv6Endpoint, SuggestsBrackets) {
  EXPECT_TRUE(FailsAt("c = socket(inet6, stream)\nbind(c, fe80::1:80) = 0\n", 2, 9,
                      "IPv6 address needs brackets: write '[fe80::1]:80'"));
}

TEST(Parser_UnclosedIPv6Bracket, ReportsMissingBracket) {
  EXPECT_TRUE(FailsAt("c = socket(inet6, stream)\nbind(c, [::1:80) = 0\n", 2, 9, "missing ']'"));
}

TEST(Parser_EndpointWithoutPort, ReportsWhereThePortShouldBe) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c, 10.0.0.1) = 0\n", 2, 17, "missing port after address '10.0.0.1'"));
}

TEST(Parser_TooManyArguments, ReportsArityAtTheExtraArgument) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:80, 5) = 0\n", 2, 22,
                      "wrong number of arguments to bind: expected 2 (socket, address:port), found 3"));
}

TEST(Parser_NoArguments, ReportsArityFoundZero) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close() = 0\n", 2, 7,
                      "wrong number of arguments to close: expected 1 (socket), found 0"));
}

TEST(Parser_SocketWithFiveArguments, ReportsArity) {
  EXPECT_TRUE(FailsAt("c = socket(inet, stream, nonblock, uid=1, x)\n", 1, 43,
                      "expected 2 to 4 (family, stream[, nonblock][, uid=N]), found 5"));
}

TEST(Parser_UnknownErrno, ReportsTheErrnoName) {
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:80) = -1 EADDRINUS\n", 2, 27, "unknown errno name 'EADDRINUS'"));
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:80) = -1 EADDRINUS\n", 2, 27, "did you mean 'EADDRINUSE'?"));
}

TEST(Parser_MinusOneAlone, ExpectsAnErrnoName) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:80) = -1\n", 2, 26,
                      "expected an errno name after -1 (e.g. -1 EADDRINUSE), found end of line"));
}

TEST(Parser_ErrnoWithoutMinusOne, SuggestsWritingMinusOne) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "bind(c, 10.0.0.1:80) = EADDRINUSE\n", 2, 24, "write '-1 EADDRINUSE'"));
}

TEST(Parser_EmptyAlternative, ReportsEndOfLine) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 |\n", 2, 15, "expected a result after '|'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) =\n", 2, 11, "expected a result after '='"));
}

TEST(Parser_JunkAfterExpectation, ReportsUnexpectedToken) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 junk\n", 2, 14, "unexpected 'junk' after expected result"));
}

TEST(Parser_JunkAfterCall, ReportsUnexpectedToken) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) junk\n", 2, 10, "unexpected 'junk' after close(...)"));
}

TEST(Parser_EndpointResultOutsideGetsockname, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "connect(c, 10.0.0.2:80) = 10.0.0.1:5000\n", 2, 27,
                      "an address:port result is only valid for getsockname"));
}

TEST(Parser_SeveralHostsWithoutPrefix, RequiresHostPrefixOnCalls) {
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + std::string(kSock), 3, 1,
                      "this script has several hosts; prefix the step with 'HOST:'"));
}

TEST(Parser_SeveralHostsWithoutPrefix, RequiresHostPrefixOnStateExpectations) {
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + "expect state 10.0.0.1:1 -> 10.0.0.2:80 == none\n", 3, 8,
                      "this script has several hosts; prefix the step with 'HOST:'"));
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + "expect count TIME-WAIT == 0\n", 3, 8, "several hosts"));
}

TEST(Parser_UnknownHostPrefix, ListsDeclaredHosts) {
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + "clint: c = socket(inet, stream)\n", 3, 1, "unknown host 'clint'"));
  EXPECT_TRUE(
      FailsAt(std::string(kTwoHosts) + "clint: c = socket(inet, stream)\n", 3, 1, "declared hosts: client, server"));
}

TEST(Parser_UnknownHostWithoutDeclarations, NamesTheImplicitHost) {
  EXPECT_TRUE(FailsAt("a: c = socket(inet, stream)\n", 1, 1, "the only host is 'local'"));
}

TEST(Parser_HostAfterStep, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "host a 10.0.0.1\n", 2, 1,
                      "host declarations must come before the first step (line 1)"));
}

TEST(Parser_DuplicateHost, PointsAtTheSecondDeclaration) {
  EXPECT_TRUE(FailsAt("host a 10.0.0.1\nhost a 10.0.0.2\n", 2, 6, "duplicate host 'a' (first declared at line 1)"));
}

TEST(Parser_HostWithoutAddress, ExpectsAnAddress) {
  EXPECT_TRUE(FailsAt("host a\n", 1, 7, "expected at least one address after host name 'a', found end of line"));
  EXPECT_TRUE(FailsAt("host a dev eth0\n", 1, 8, "found 'dev'"));
}

TEST(Parser_HostBadAddress, ReportsTheAddress) {
  EXPECT_TRUE(FailsAt("host a 10.0.0.1 10.0.0.300\n", 1, 17, "bad IPv4/IPv6 address '10.0.0.300'"));
}

TEST(Parser_HostPrefixTooLong, ReportsThePrefix) {
  EXPECT_TRUE(FailsAt("host a 10.0.0.1/33\n", 1, 17, "prefix length 33 out of range 0..32"));
  EXPECT_TRUE(FailsAt("host a ::1/129\n", 1, 12, "prefix length 129 out of range 0..128"));
}

TEST(Parser_HostDevWithoutNames, ExpectsADevice) {
  EXPECT_TRUE(FailsAt("host a 10.0.0.1 dev\n", 1, 20, "expected at least one device name after 'dev'"));
}

TEST(Parser_BadHostName, IsRejected) { EXPECT_TRUE(FailsAt("host a.b 10.0.0.1\n", 1, 6, "bad host name 'a.b'")); }

TEST(Parser_TooManyHosts, ReportsThe65thHost) {
  std::string hosts;
  for (int i = 0; i < 65; ++i) hosts += "host h" + std::to_string(i) + " 10.0." + std::to_string(i) + ".1\n";
  EXPECT_TRUE(FailsAt(hosts, 65, 1, "too many hosts: the limit is 64"));
}

TEST(Parser_BindingANonBindingCall, IsRejectedAtTheVariable) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "x = close(c)\n", 2, 1, "close() returns nothing to bind to 'x'"));
}

TEST(Parser_PortWithoutBinding, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "port(c)\n", 2, 1, "port() must bind its result"));
}

TEST(Parser_RebindingWithAnotherType, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "P = port(c)\nP = socket(inet, stream)\n", 3, 1,
                      "'P' is an integer variable (bound at line 2); it cannot be rebound to a socket"));
}

TEST(Parser_UnknownTcpState, ListsTheStates) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "expect state c == ESTABLISH\n", 2, 19, "unknown TCP state 'ESTABLISH'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "expect state c == ESTABLISH\n", 2, 19, "did you mean 'ESTABLISHED'?"));
}

TEST(Parser_LowerCaseTcpState, SuggestsUpperCase) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "expect state c == established\n", 2, 19,
                      "state names are upper case: 'ESTABLISHED'"));
}

TEST(Parser_NoneOnSocketState, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "expect state c == none\n", 2, 19,
                      "'none' is only valid in 'state LOCAL -> REMOTE'"));
}

TEST(Parser_TupleWithoutArrow, ExpectsArrow) {
  EXPECT_TRUE(FailsAt("expect state 10.0.0.1:5000 10.0.0.2:80 == ESTABLISHED\n", 1, 28,
                      "expected '->' between the local and the remote address:port, found '10.0.0.2:80'"));
}

TEST(Parser_TupleWithOrderingOperator, ExpectsEqualityOperator) {
  EXPECT_TRUE(FailsAt("expect state 10.0.0.1:5000 -> 10.0.0.2:80 < ESTABLISHED\n", 1, 43,
                      "expected '==' or '!=' before the state, found '<'"));
}

TEST(Parser_CountWithoutOperator, ExpectsComparisonOperator) {
  EXPECT_TRUE(
      FailsAt("expect count TIME_WAIT 3\n", 1, 24, "expected a comparison operator (==, !=, <, <=, >, >=), found '3'"));
}

TEST(Parser_SingleEqualsInComparison, SuggestsDoubleEquals) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "P = port(c)\nexpect P = 5000\n", 3, 10, "write '==' to compare"));
}

TEST(Parser_EmptyRange, IsRejected) {
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "P = port(c)\nexpect P in 60999..32768\n", 3, 13, "empty range 60999..32768"));
}

TEST(Parser_RangeWithoutDots, ExpectsDots) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "P = port(c)\nexpect P in 1-5\n", 3, 14,
                      "expected '..' in the range LOW..HIGH, found '-5'"));
}

TEST(Parser_IntegerExpectWithHostPrefix, IsRejected) {
  EXPECT_TRUE(
      FailsAt(std::string(kTwoHosts) + "client: c = socket(inet, stream)\nclient: P = port(c)\nexpect client: P == 5\n",
              5, 8, "remove the 'client:' prefix"));
}

TEST(Parser_EmptyExpect, SaysWhatCanBeExpected) {
  EXPECT_TRUE(FailsAt("expect\n", 1, 7,
                      "expected 'state', 'count', or an integer comparison after 'expect', found end of line"));
}

TEST(Parser_WaitWithoutUnit, ListsTheUnits) {
  EXPECT_TRUE(FailsAt("wait 5\n", 1, 6, "missing unit in duration '5'; expected one of ns, us, ms, s, m"));
}

TEST(Parser_WaitWithUnknownUnit, ReportsTheUnit) {
  EXPECT_TRUE(FailsAt("wait 5d\n", 1, 7, "unknown unit 'd' in duration '5d'"));
}

TEST(Parser_WaitWithFractionalNanoseconds, IsRejected) {
  EXPECT_TRUE(FailsAt("wait 1.5ns\n", 1, 6, "duration '1.5ns' is not a whole number of nanoseconds"));
  EXPECT_TRUE(FailsAt("wait 0.0000000001s\n", 1, 6, "not a whole number of nanoseconds"));
}

TEST(Parser_WaitNegativeOrHuge, IsRejected) {
  EXPECT_TRUE(FailsAt("wait -1s\n", 1, 6, "expected a duration such as 1s"));
  EXPECT_TRUE(FailsAt("wait 1000000000000m\n", 1, 6, "is too large"));
}

TEST(Parser_WaitPrefixedWithHost, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + "client: wait 1s\n", 3, 1, "'wait' advances time on every host"));
}

TEST(Parser_SysctlWithoutEquals, ExpectsEquals) {
  EXPECT_TRUE(FailsAt("sysctl net.ipv4.tcp_tw_reuse 1\n", 1, 30,
                      "expected '=' after sysctl name 'net.ipv4.tcp_tw_reuse', found '1'"));
}

TEST(Parser_SysctlWithoutValue, IsRejected) {
  EXPECT_TRUE(FailsAt("sysctl net.ipv4.tcp_tw_reuse=   # nothing\n", 1, 33,
                      "missing value for sysctl 'net.ipv4.tcp_tw_reuse'"));
}

TEST(Parser_SysctlUnknownHost, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + "sysctl db net.ipv4.tcp_tw_reuse=1\n", 3, 8, "unknown host 'db'"));
}

TEST(Parser_SysctlBadName, IsRejected) {
  EXPECT_TRUE(FailsAt("sysctl net..ipv4=1\n", 1, 8, "bad sysctl name 'net..ipv4'"));
}

TEST(Parser_SocketBadFamily, ExpectsInetOrInet6) {
  EXPECT_TRUE(
      FailsAt("c = socket(inet4, stream)\n", 1, 12, "expected address family 'inet' or 'inet6', found 'inet4'"));
}

TEST(Parser_SocketDatagram, ExpectsStream) {
  EXPECT_TRUE(FailsAt("c = socket(inet, dgram)\n", 1, 18, "expected socket type 'stream'"));
}

TEST(Parser_SocketDuplicateFlag, IsRejected) {
  EXPECT_TRUE(FailsAt("c = socket(inet, stream, nonblock, nonblock)\n", 1, 36, "duplicate 'nonblock' flag"));
}

TEST(Parser_SocketUnknownFlag, ExpectsNonblockOrUid) {
  EXPECT_TRUE(
      FailsAt("c = socket(inet, stream, blocking)\n", 1, 26, "expected 'nonblock' or 'uid=N', found 'blocking'"));
}

TEST(Parser_SocketUidOutOfRange, IsRejected) {
  EXPECT_TRUE(
      FailsAt("c = socket(inet, stream, uid=4294967296)\n", 1, 30, "uid 4294967296 out of range 0..4294967295"));
}

TEST(Parser_SetsockoptIntegerGivenWord, NamesTheIntegerForm) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "setsockopt(c, SO_REUSEADDR, yes)\n", 2, 29,
                      "expected an integer value for SO_REUSEADDR, found 'yes'"));
}

TEST(Parser_SetsockoptLingerGivenInteger, NamesTheLingerForm) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "setsockopt(c, SO_LINGER, 1) = 0\n", 2, 26,
                      "expected a linger value {ON, SECONDS} such as {1, 0} for SO_LINGER, found '1'"));
}

TEST(Parser_SetsockoptDeviceGivenInteger, NamesTheDeviceForm) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "setsockopt(c, SO_BINDTODEVICE, 5)\n", 2, 32,
                      "expected a device name or \"\" for SO_BINDTODEVICE, found '5'"));
}

TEST(Parser_SetsockoptUnterminatedString, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "setsockopt(c, SO_BINDTODEVICE, \"eth0)\n", 2, 32, "unterminated string"));
}

TEST(Parser_SetsockoptRangeWithOnePort, ExpectsDashAndUpperPort) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "setsockopt(c, IP_LOCAL_PORT_RANGE, 40000)\n", 2, 41,
                      "expected '-' and the upper port of a port range LOW-HIGH"));
}

TEST(Parser_GetsockoptLingerOnOutOfRange, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "getsockopt(c, SO_LINGER) = {2, 0}\n", 2, 29,
                      "linger on/off value 2 out of range 0..1"));
}

TEST(Parser_ShutdownBadMode, ListsTheModes) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "shutdown(c, SHUT_BOTH)\n", 2, 13,
                      "expected SHUT_RD, SHUT_WR or SHUT_RDWR, found 'SHUT_BOTH'"));
}

TEST(Parser_UnclosedArgumentList, ExpectsCloseParen) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c = 0\n", 2, 9, "expected ')' after socket variable, found '='"));
}

TEST(Parser_NegativeByteCount, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "send(c, -5)\n", 2, 9, "byte count -5 out of range 0.."));
}

TEST(Parser_BadIntegerLiteral, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "send(c, 5k)\n", 2, 9, "bad byte count '5k'"));
  EXPECT_TRUE(
      FailsAt(std::string(kSock) + "close(c) = 99999999999999999999\n", 2, 12, "out of range (not a 64-bit integer)"));
}

TEST(Parser_CallWithoutParenthesis, ExpectsParen) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close c\n", 2, 7, "expected '(' after 'close', found 'c'"));
}

TEST(Parser_BindingWithoutCall, ExpectsACall) {
  EXPECT_TRUE(FailsAt("c = (inet)\n", 1, 5, "expected a call after 'c =' (socket, accept or port), found '('"));
}

TEST(Parser_UnknownStatement, ListsTheStatements) {
  EXPECT_TRUE(FailsAt("hots a 10.0.0.1\n", 1, 1, "unknown statement 'hots'; expected host, sysctl, wait, expect"));
  EXPECT_TRUE(FailsAt("  5 = 3\n", 1, 3, "expected a step"));
}

TEST(Parser_LineTooLong, ReportsTheFirstByteBeyondTheLimit) {
  EXPECT_TRUE(FailsAt("wait 1s\n# " + std::string(5000, 'x') + "\n", 2, 4097,
                      "line is 5002 bytes long; the limit is 4096 bytes"));
}

TEST(Parser_ScriptTooLarge, ReportsWhereTheLimitIsCrossed) {
  std::string line = "#" + std::string(98, 'x') + "\n";  // 100 bytes
  std::string text;
  text.reserve(kMaxScriptBytes + 200);
  while (text.size() <= kMaxScriptBytes) text += line;
  // Byte 4194304 (0-based) is byte 4 of line 41944.
  EXPECT_TRUE(FailsAt(text, 41944, 5, "the limit is 4194304 bytes (4 MiB)"));
}

TEST(Parser_TooManySteps, ReportsTheFirstStepBeyondTheLimit) {
  std::string text;
  text.reserve(8 * (kMaxSteps + 1));
  for (std::size_t i = 0; i < kMaxSteps; ++i) text += "wait 0s\n";
  auto ok = parse_script(text, "t.plab");
  ASSERT_TRUE(ok.script.has_value());
  EXPECT_EQ(ok.script->steps.size(), kMaxSteps);
  text += "# comments do not count\n\nwait 0s\n";
  EXPECT_TRUE(FailsAt(text, static_cast<int>(kMaxSteps) + 3, 1, "too many steps: the limit is 100000"));
}

TEST(Parser_ControlCharacter, IsRejectedAtItsColumn) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + std::string("close(c)\x01\n"), 2, 9, "control character 0x01"));
  EXPECT_TRUE(FailsAt(std::string("wait 1s\0\n", 9), 1, 8, "control character 0x00"));
}

TEST(Parser_InvalidUtf8, IsRejectedEvenInComments) {
  EXPECT_TRUE(FailsAt("wait 1s # \xff\n", 1, 11, "invalid UTF-8 byte 0xFF"));
  EXPECT_TRUE(FailsAt("# \xC0\xAF overlong\n", 1, 3, "invalid UTF-8 byte 0xC0"));
  EXPECT_TRUE(FailsAt("# \xED\xA0\x80 surrogate\n", 1, 3, "invalid UTF-8 byte 0xED"));
}

TEST(Parser_LoneCarriageReturn, IsRejected) {
  EXPECT_TRUE(FailsAt("wait 1s\rwait 2s\n", 1, 8, "carriage return in the middle of a line"));
}

TEST(Parser_PrefixedExpect, SuggestsTheRightPlaceForTheHost) {
  EXPECT_TRUE(
      FailsAt(std::string(kTwoHosts) + "client: expect count LISTEN == 0\n", 3, 1, "write 'expect client: ...'"));
}

TEST(Parser_FirstErrorWins, LaterErrorsAreNotReported) {
  EXPECT_TRUE(FailsAt("wait 1x\nbnd(c)\n", 1, 7, "unknown unit 'x'"));
}

// =============================================================================================
// Diagnostics

TEST(Diagnostic_Render, ShowsFileLineColumnMessageSourceAndCaret) {
  auto r = parse_script(std::string(kSock) + "close(c2) = 0\n", "scripts/reuse.plab");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->file, "scripts/reuse.plab");
  EXPECT_EQ(r.error->source_line, "close(c2) = 0");
  EXPECT_EQ(r.error->render(),
            "scripts/reuse.plab:2:7: error: undefined variable 'c2'; did you mean 'c'?\n"
            "  close(c2) = 0\n"
            "        ^\n");
}

TEST(Diagnostic_Render, CaretFollowsTabsAndMultiByteCharacters) {
  Diagnostic d{"f", {3, 8}, "m", "\t\xC3\xA9t\xC3\xA9 x"};  // tab, 'e-acute' 't' 'e-acute' ' ' 'x'
  EXPECT_EQ(d.render(), "f:3:8: error: m\n  \t\xC3\xA9t\xC3\xA9 x\n  \t    ^\n");
}

TEST(Diagnostic_Render, ShowsInvalidBytesAsQuestionMarks) {
  auto r = parse_script("wait 1s # \xff\x01\n", "f");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->source_line, "wait 1s # ??");
}

TEST(Diagnostic_Render, WithoutLocationPrintsOnlyTheMessageLine) {
  Diagnostic d{"f", {}, "cannot read file", ""};
  EXPECT_EQ(d.render(), "f:0:0: error: cannot read file\n");
}

// =============================================================================================
// AST helpers

TEST(Ast_Name, NamesEveryCallKindAndOperator) {
  EXPECT_EQ(name(CallKind::socket), "socket");
  EXPECT_EQ(name(CallKind::setsockopt), "setsockopt");
  EXPECT_EQ(name(CallKind::getsockopt), "getsockopt");
  EXPECT_EQ(name(CallKind::bind), "bind");
  EXPECT_EQ(name(CallKind::listen), "listen");
  EXPECT_EQ(name(CallKind::connect), "connect");
  EXPECT_EQ(name(CallKind::accept), "accept");
  EXPECT_EQ(name(CallKind::send), "send");
  EXPECT_EQ(name(CallKind::recv), "recv");
  EXPECT_EQ(name(CallKind::shutdown), "shutdown");
  EXPECT_EQ(name(CallKind::close), "close");
  EXPECT_EQ(name(CallKind::getsockname), "getsockname");
  EXPECT_EQ(name(CallKind::port), "port");
  EXPECT_EQ(name(CompareOp::eq), "==");
  EXPECT_EQ(name(CompareOp::ne), "!=");
  EXPECT_EQ(name(CompareOp::lt), "<");
  EXPECT_EQ(name(CompareOp::le), "<=");
  EXPECT_EQ(name(CompareOp::gt), ">");
  EXPECT_EQ(name(CompareOp::ge), ">=");
}

// =============================================================================================
// =============================================================================================
// Per-OS scripts: `os`, `host ... os=`, `@OS` on results, expect lines and sysctls

TEST(Parser_Os, DirectiveListsTheOsesWithLocationsAndMayFollowHosts) {
  const Script s = parse_ok("# about\nhost a 10.0.0.1\nos linux, freebsd,linux-4.4\na: c = socket(inet, stream)\n");
  ASSERT_EQ(s.os.size(), 3u);
  EXPECT_EQ(s.os[0].name, "linux");
  EXPECT_EQ(s.os[0].loc.line, 3);
  EXPECT_EQ(s.os[0].loc.column, 4);
  EXPECT_EQ(s.os[1].name, "freebsd");
  EXPECT_EQ(s.os[1].loc.column, 11);
  EXPECT_EQ(s.os[2].name, "linux-4.4");
  EXPECT_EQ(s.os[2].loc.column, 19);
}

TEST(Parser_Os, WithoutDirectiveTheListIsEmptyAndNamesAreNotCheckedAtParseTime) {
  EXPECT_TRUE(parse_ok(kSock).os.empty());
  EXPECT_EQ(parse_ok("os plan9\n").os.at(0).name, "plan9");  // resolved by the check engine
}

TEST(Parser_Os, AVariableNamedOsIsStillAVariable) {
  const Script s = parse_ok("os = socket(inet, stream)\nclose(os) = 0\n");
  EXPECT_TRUE(s.os.empty());
  EXPECT_EQ(s.steps.size(), 2u);
}

TEST(Parser_OsAfterStep, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "os linux\n", 2, 1,
                      "the 'os' directive must come before the first step (line 1)"));
}

TEST(Parser_OsTwice, IsRejectedAtTheSecondDirective) {
  EXPECT_TRUE(FailsAt("os linux\nos freebsd\n", 2, 1, "duplicate 'os' directive (the first is at line 1)"));
}

TEST(Parser_OsWithoutName, ExpectsAName) {
  EXPECT_TRUE(FailsAt("os\n", 1, 3, "expected an OS name after 'os' (such as linux or freebsd), found end of line"));
  EXPECT_TRUE(FailsAt("os linux,\n", 1, 10, "expected an OS name after ','"));
  EXPECT_TRUE(FailsAt("os linux,,macos\n", 1, 10, "expected an OS name after ',' (such as linux or freebsd), found ','"));
}

TEST(Parser_OsDuplicateName, PointsAtTheSecond) {
  EXPECT_TRUE(FailsAt("os linux,macos,linux\n", 1, 16, "duplicate OS 'linux' in this list (first at column 4)"));
}

TEST(Parser_OsJunk, IsRejected) {
  EXPECT_TRUE(FailsAt("os linux macos\n", 1, 10, "unexpected 'macos' after the OS names; expected end of line"));
}

TEST(Parser_HostOs, GivesTheHostItsOwnOsAfterAddressesOrDevices) {
  const Script s = parse_ok("host c 10.0.0.1\nhost s 10.0.0.2 os=windows\nhost d 10.0.0.3 dev eth0 os=freebsd\n");
  EXPECT_FALSE(s.hosts[0].os.has_value());
  ASSERT_TRUE(s.hosts[1].os.has_value());
  EXPECT_EQ(s.hosts[1].os->name, "windows");
  EXPECT_EQ(s.hosts[1].os->loc.line, 2);
  EXPECT_EQ(s.hosts[1].os->loc.column, 20);
  EXPECT_EQ(s.hosts[1].addresses.size(), 1u);
  ASSERT_TRUE(s.hosts[2].os.has_value());
  EXPECT_EQ(s.hosts[2].os->name, "freebsd");
  EXPECT_EQ(s.hosts[2].devices, std::vector<std::string>{"eth0"});
}

TEST(Parser_HostOsMalformed, IsRejectedWithColumns) {
  EXPECT_TRUE(FailsAt("host s 10.0.0.2 os=\n", 1, 20, "expected an OS name right after 'os='"));
  EXPECT_TRUE(FailsAt("host s 10.0.0.2 os = windows\n", 1, 17, "expected 'os=NAME' (no spaces)"));
  EXPECT_TRUE(FailsAt("host s 10.0.0.2 os=linux,macos\n", 1, 25, "a host runs one OS"));
  EXPECT_TRUE(FailsAt("host s 10.0.0.2 os=linux os=macos\n", 1, 26, "duplicate 'os=' on host 's' (the first is at column 20)"));
  EXPECT_TRUE(FailsAt("host s os=linux\n", 1, 16, "expected at least one address after host name 's'"));
}

TEST(Parser_PerOsResults, GroupsWithOsListsAndOneDefault) {
  const Script s = parse_ok(std::string(kSock) +
                            "bind(c, 0.0.0.0:80) = -1 EADDRINUSE @freebsd,macos = 0 @windows = -1 WSAEACCES | -1 EACCES\n");
  const auto& e = call_step(s, 1).expects;
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].loc.column, 21);
  EXPECT_EQ(e[0].alternatives.at(0).error, model::Errno::eaddrinuse);
  ASSERT_EQ(e[0].os.size(), 2u);
  EXPECT_EQ(e[0].os[0].name, "freebsd");
  EXPECT_EQ(e[0].os[0].loc.column, 38);
  EXPECT_EQ(e[0].os[1].name, "macos");
  EXPECT_EQ(e[0].os[1].loc.column, 46);
  EXPECT_EQ(e[1].loc.column, 52);
  EXPECT_EQ(std::get<std::int64_t>(*e[1].alternatives.at(0).integer), 0);
  ASSERT_EQ(e[1].os.size(), 1u);
  EXPECT_EQ(e[1].os[0].name, "windows");
  EXPECT_TRUE(e[2].os.empty());
  EXPECT_EQ(e[2].alternatives.size(), 2u);

  const CallStep& cs = call_step(s, 1);
  EXPECT_EQ(expectation_for(cs, "macos"), &e[0]);
  EXPECT_EQ(expectation_for(cs, "windows"), &e[1]);
  EXPECT_EQ(expectation_for(cs, "linux"), &e[2]);
}

TEST(Parser_PerOsResults, WithoutDefaultGroupOtherOsesAreNotChecked) {
  const Script s = parse_ok(std::string(kSock) + "close(c) = 0 @linux\n");
  const CallStep& cs = call_step(s, 1);
  ASSERT_EQ(cs.expects.size(), 1u);
  EXPECT_NE(expectation_for(cs, "linux"), nullptr);
  EXPECT_EQ(expectation_for(cs, "freebsd"), nullptr);
}

TEST(Parser_PerOsResults, DefaultGroupMayComeFirstAndValuesNeedNoSpaceBeforeAt) {
  const Script s = parse_ok(std::string(kSock) + "P = port(c)\ngetsockname(c) = 0.0.0.0:0 = 0.0.0.0:P@macos\n" +
                            "close(c) = 0@linux,macos\n");
  const auto& e = call_step(s, 2).expects;
  ASSERT_EQ(e.size(), 2u);
  EXPECT_TRUE(e[0].os.empty());
  EXPECT_EQ(e[1].os.at(0).name, "macos");
  EXPECT_EQ(call_step(s, 3).expects.at(0).os.size(), 2u);
}

TEST(Parser_PerOsResultsAtWithoutName, ExpectsAnOsName) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @\n", 2, 15,
                      "expected an OS name after '@' (such as linux or freebsd), found end of line"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @ = -1 EBADF\n", 2, 16, "expected an OS name after '@'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @linux,\n", 2, 21, "expected an OS name after ','"));
}

TEST(Parser_PerOsResultsDuplicateOs, IsRejectedAtTheSecondMention) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @linux,macos = -1 EBADF @windows,macos\n", 2, 47,
                      "OS 'macos' already has expected results (the group at column 10)"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @linux,linux\n", 2, 21, "duplicate OS 'linux' in this list"));
}

TEST(Parser_PerOsResultsTwoDefaults, IsRejectedAtTheSecondEquals) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @linux = 0 = -1 EBADF\n", 2, 25,
                      "a second group of expected results without '@OS' (the first is at column 21)"));
}

TEST(Parser_PerOsResultsJunk, IsRejected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @linux junk\n", 2, 21,
                      "unexpected 'junk' after the OS names; expected ',' and another OS name, '= RESULT'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = 0 @linux =\n", 2, 22, "expected a result after '='"));
}

TEST(Parser_ExpectOs, RestrictsAnExpectLineToTheListedOses) {
  const Script s = parse_ok(std::string(kSock) + "P = port(c)\n"
                                                 "expect P in 32768..60999 @linux\n"
                                                 "expect P in 10000..65535 @freebsd, illumos\n"
                                                 "expect state c == CLOSED @macos\n"
                                                 "expect count TIME-WAIT == 0\n");
  const auto& a = expect_step(s, 2);
  ASSERT_EQ(a.os.size(), 1u);
  EXPECT_EQ(a.os[0].name, "linux");
  EXPECT_EQ(a.os[0].loc.column, 27);
  EXPECT_EQ(expect_step(s, 3).os.size(), 2u);
  EXPECT_EQ(expect_step(s, 4).os.at(0).name, "macos");
  EXPECT_TRUE(expect_step(s, 5).os.empty());
  EXPECT_FALSE(applies_to(a.os, "freebsd"));
  EXPECT_TRUE(applies_to(a.os, "linux"));
  EXPECT_TRUE(applies_to(expect_step(s, 5).os, "freebsd"));
}

TEST(Parser_ExpectOsMalformed, IsRejectedWithColumns) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "P = port(c)\nexpect P == 1 @\n", 3, 16, "expected an OS name after '@'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "P = port(c)\nexpect P == 1 @linux x\n", 3, 22,
                      "unexpected 'x' after the OS names; expected end of line"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "P = port(c)\nexpect P == 1 @macos,macos\n", 3, 22, "duplicate OS 'macos'"));
}

TEST(Parser_SysctlOs, RestrictsASysctlToTheListedOses) {
  const Script s = parse_ok("sysctl net.inet.tcp.msl=15000 @freebsd,macos\nsysctl net.ipv4.ip_local_port_range=40000 40010\n");
  const auto& a = as<SysctlStep>(s.steps.at(0).body);
  EXPECT_EQ(a.value, "15000");
  ASSERT_EQ(a.os.size(), 2u);
  EXPECT_EQ(a.os[1].name, "macos");
  EXPECT_EQ(a.os[1].loc.column, 40);
  const auto& b = as<SysctlStep>(s.steps.at(1).body);
  EXPECT_EQ(b.value, "40000 40010");
  EXPECT_TRUE(b.os.empty());
  EXPECT_TRUE(FailsAt("sysctl a.b=1 @\n", 1, 15, "expected an OS name after '@'"));
  EXPECT_TRUE(FailsAt("sysctl a.b= @linux\n", 1, 13, "missing value for sysctl 'a.b'"));
}

// Robustness: arbitrary damage to a valid script never crashes; the result is always exactly
// one of script/error, and every error is located inside the text.

TEST(Parser_Robustness, MutatedScriptsEitherParseOrFailWithALocatedError) {
  const std::string base(kExample);
  const std::string alphabet = " \t\n\r#:=()[],|{}.-><!\"0123456789abcxyzPEST_\x01\xff\xc3";
  std::mt19937 rng(20240611);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1 + rng() % 3); break;
        default: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    const auto r = parse_script(text, "fuzz");
    ASSERT_NE(r.script.has_value(), r.error.has_value()) << text;
    if (r.error) {
      ASSERT_GE(r.error->loc.line, 1) << text;
      ASSERT_GE(r.error->loc.column, 1) << text;
      ASSERT_FALSE(r.error->message.empty()) << text;
      (void)r.error->render();
    }
  }
}

// ---- Blocks and properties (portlab explore) ------------------------------------------------

TEST(ParserBlocks, Process_StepsBeforeAndAfter_AreSplitAndTheProcessHostIsFilledIn) {
  const Script s = parse_ok(std::string(kTwoHosts) +
                            "server: l = socket(inet, stream)\n"
                            "process app on client {\n"
                            "  c = socket(inet, stream)\n"
                            "  expect count TIME_WAIT == 0\n"
                            "}\n"
                            "server: close(l) = 0\n");
  ASSERT_EQ(s.processes.size(), 1u);
  EXPECT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps_before_processes, 1u);
  const Process& p = s.processes[0];
  EXPECT_EQ(p.name, "app");
  EXPECT_EQ(p.host, "client");
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(std::get<CallStep>(p.steps[0].body).host, "client");
  EXPECT_EQ(std::get<ExpectStep>(p.steps[1].body).host, "client");
  ASSERT_EQ(p.code.size(), 2u);
  EXPECT_EQ(p.code[1].kind, ProcessOp::Kind::step);
  EXPECT_EQ(p.code[1].step, 1u);
}

TEST(ParserBlocks, LoopAndChoose_FlattenToJumps) {
  const Script s = parse_ok(
      "process p {\n"           // 1
      "  loop 3 {\n"            // 2: op 0 loop_enter
      "    choose {\n"          // 3: op 1 choose
      "      a = socket(inet, stream)\n"  // op 2
      "    } or {\n"            // op 3 jump
      "      b = socket(inet, stream)\n"  // op 4
      "    }\n"
      "  }\n"                   // op 5 loop_next
      "}\n");
  const auto& c = s.processes.at(0).code;
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].kind, ProcessOp::Kind::loop_enter);
  EXPECT_EQ(c[0].count, 3);
  EXPECT_EQ(c[0].target, 6u);  // past the loop
  EXPECT_EQ(c[1].kind, ProcessOp::Kind::choose);
  EXPECT_EQ(c[1].branches, (std::vector<std::size_t>{2, 4}));
  EXPECT_EQ(c[3].kind, ProcessOp::Kind::jump);
  EXPECT_EQ(c[3].target, 5u);  // past the choose
  EXPECT_EQ(c[5].kind, ProcessOp::Kind::loop_next);
  EXPECT_EQ(c[5].target, 1u);  // the loop body
}

TEST(ParserBlocks, AlwaysAndNever_AreKeptAsPropertiesNotSteps) {
  const Script s = parse_ok(std::string(kTwoHosts) +
                            "always client: count TIME_WAIT == 0\n"
                            "never server: state 10.0.0.2:80 -> 10.0.0.1:5000 == ESTABLISHED\n");
  EXPECT_TRUE(s.steps.empty());
  ASSERT_EQ(s.properties.size(), 2u);
  EXPECT_FALSE(s.properties[0].never);
  EXPECT_TRUE(s.properties[1].never);
  EXPECT_EQ(s.properties[1].expr.text, "never server: state 10.0.0.2:80 -> 10.0.0.1:5000 == ESTABLISHED");
  EXPECT_TRUE(std::holds_alternative<ExpectStep>(s.properties[0].expr.body));
}

TEST(ParserBlocks, KeywordsStayUsableAsVariableNames) {
  const Script s = parse_ok("loop = socket(inet, stream)\nclose(loop) = 0\n");
  EXPECT_EQ(s.steps.size(), 2u);
}

TEST(ParserBlocks, MalformedBlocks_AreLocatedWithWhatWasExpected) {
  EXPECT_TRUE(FailsAt("process p\n}\n", 1, 10, "expected '{' at the end of the line"));
  EXPECT_TRUE(FailsAt("process p {\n", 1, 1, "expected '}' on a line of its own"));
  EXPECT_TRUE(FailsAt("}\n", 1, 1, "no process, loop or choose block is open"));
  EXPECT_TRUE(FailsAt("process p {\n  choose {\n  }\n}\n", 3, 3, "expected '} or {'"));
  EXPECT_TRUE(FailsAt("process p {\n  loop 2 {\n  } or {\n}\n", 3, 5, "expected it only inside 'choose"));
  EXPECT_TRUE(FailsAt("process p {\n  } else\n", 2, 5, "expected end of line after '}'"));
  EXPECT_TRUE(FailsAt("choose {\n", 1, 1, "expected it inside 'process NAME"));
  EXPECT_TRUE(FailsAt("process main {\n}\n", 1, 9, "expected another process name"));
  EXPECT_TRUE(FailsAt("process p {\n  always count TIME_WAIT == 0\n}\n", 2, 3, "expected properties at the top level"));
  EXPECT_TRUE(FailsAt("process p {\n}\nhost h 10.0.0.1\n", 3, 1, "host declarations must come before"));
}

TEST(ParserBlocks, CountOnA4Tuple_ParsesBothEndpoints_AndNeedsTheArrow) {
  const Script s = parse_ok("expect count ESTABLISHED 10.0.0.1:5000 -> 10.0.0.2:80 <= 1\n");
  const auto& c = std::get<ExpectCount>(std::get<ExpectStep>(s.steps.at(0).body).what);
  ASSERT_TRUE(c.local && c.remote);
  EXPECT_EQ(std::get<std::uint16_t>(c.local->port), 5000);
  EXPECT_EQ(std::get<std::uint16_t>(c.remote->port), 80);
  EXPECT_EQ(c.op, CompareOp::le);
  EXPECT_TRUE(FailsAt("expect count ESTABLISHED 10.0.0.1:5000 10.0.0.2:80 <= 1\n", 1, 40, "expected '->'"));
}

// ---- Call properties, '!=' results, `network interleave` and `deliver` (issue #5) ----

TEST(ParserCallProperties, NeverCallOnVariable_KeepsCallSocketResultsAndOsList) {
  const Script s = parse_ok(std::string(kTwoHosts) +
                            "client: c = socket(inet, stream)\n"
                            "never client: connect(c) = -1 EADDRNOTAVAIL | -1 EADDRINUSE @linux,freebsd\n");
  ASSERT_EQ(s.properties.size(), 1u);
  const Property& p = s.properties[0];
  EXPECT_TRUE(p.never);
  ASSERT_TRUE(p.call);
  EXPECT_EQ(p.call->call, CallKind::connect);
  EXPECT_EQ(p.call->sock.name, "c");
  EXPECT_EQ(p.call->host, "client");
  ASSERT_EQ(p.call->results.alternatives.size(), 2u);
  EXPECT_EQ(p.call->results.alternatives[0].error, model::Errno::eaddrnotavail);
  EXPECT_EQ(p.call->results.alternatives[1].error, model::Errno::eaddrinuse);
  ASSERT_EQ(p.call->results.os.size(), 2u);
  EXPECT_EQ(p.call->results.os[1].name, "freebsd");
  EXPECT_EQ(p.expr.text, "never client: connect(c) = -1 EADDRNOTAVAIL | -1 EADDRINUSE @linux,freebsd");
  EXPECT_EQ(p.expr.loc.line, 4);
  EXPECT_TRUE(s.steps.size() == 1u) << "a property is not a step";
}

TEST(ParserCallProperties, MinusOneAlone_MeansAnyError_AndAlwaysTakesValues) {
  const Script s = parse_ok(std::string(kSock) + "never close(c) = -1\nalways bind(c) = 0\n");
  ASSERT_EQ(s.properties.size(), 2u);
  EXPECT_TRUE(s.properties[0].call->results.alternatives[0].any_error);
  EXPECT_FALSE(s.properties[1].never);
  EXPECT_EQ(std::get<std::int64_t>(*s.properties[1].call->results.alternatives[0].integer), 0);
  // State properties are unchanged: no call, an ExpectStep.
  const Script t = parse_ok("never count TIME_WAIT >= 1\n");
  EXPECT_FALSE(t.properties[0].call);
}

TEST(ParserCallProperties, MalformedForms_AreLocatedWithWhatWasExpected) {
  EXPECT_TRUE(FailsAt(std::string(kSock) + "never connect(c)\n", 2, 17, "expected '= RESULT' after 'connect(c)'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "never connect(c, 10.0.0.2:80) = -1 EADDRNOTAVAIL\n", 2, 16,
                      "expected ')' after the socket variable"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "never socket(c) = 3\n", 2, 7, "names a call on a socket variable"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "never conect(c) = -1\n", 2, 7, "did you mean 'connect'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "never connect(d) = -1\n", 2, 15, "undefined variable 'd'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "never connect(c) = -1 EWHAT\n", 2, 23, "unknown errno name 'EWHAT'"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "never connect(c) = 0 junk\n", 2, 22, "after the property's result"));
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + "client: c = socket(inet, stream)\nnever connect(c) = -1\n", 4, 7,
                      "prefix the call with 'HOST:'"));
  EXPECT_TRUE(FailsAt(std::string(kTwoHosts) + "client: c = socket(inet, stream)\nnever peer: connect(c) = -1\n", 4,
                      7, "unknown host"));
  EXPECT_TRUE(FailsAt(std::string(kSock) + "process p {\n  never connect(c) = -1\n}\n", 3, 3,
                      "expected properties at the top level"));
}

TEST(ParserExpectations, NotEqual_NegatesTheGroup_AndTakesMinusOneForAnyError) {
  const Script s = parse_ok(std::string(kSock) + "close(c) != -1 EBADF | -1\n");
  const CallStep& cs = call_step(s, 1);
  ASSERT_EQ(cs.expects.size(), 1u);
  EXPECT_TRUE(cs.expects[0].negated);
  EXPECT_EQ(cs.expects[0].alternatives[0].error, model::Errno::ebadf);
  EXPECT_TRUE(cs.expects[0].alternatives[1].any_error);
  // In an '=' group the errno stays required.
  EXPECT_TRUE(FailsAt(std::string(kSock) + "close(c) = -1\n", 2, 14, "expected an errno name after -1"));
}

TEST(ParserNetwork, Interleave_StandsAlone_AndDeliverNamesAFlow) {
  const Script s = parse_ok("network interleave\ndeliver 10.0.0.1:5000 -> [::1]:80\n");
  ASSERT_TRUE(s.network);
  EXPECT_TRUE(s.network->interleave);
  const auto& d = std::get<DeliverStep>(s.steps.at(0).body);
  EXPECT_EQ(d.src.addr.to_string(), "10.0.0.1");
  EXPECT_EQ(std::get<std::uint16_t>(d.src.port), 5000);
  EXPECT_EQ(std::get<std::uint16_t>(d.dst.port), 80);
  EXPECT_TRUE(FailsAt("network latency 1ms interleave\n", 1, 21, "'interleave' excludes the other network settings"));
  EXPECT_TRUE(FailsAt("network interleave latency 1ms\n", 1, 20, "after 'interleave'"));
  EXPECT_TRUE(FailsAt("deliver 10.0.0.1:5000 10.0.0.2:80\n", 1, 23, "expected '->'"));
  EXPECT_TRUE(FailsAt("deliver\n", 1, 8, "expected the flow 'SRC -> DST'"));
  const Script dropped = parse_ok("network interleave\ndrop 10.0.0.1:5000 -> 10.0.0.2:80\n");
  EXPECT_TRUE(std::get<DeliverStep>(dropped.steps.at(0).body).drop);
  EXPECT_FALSE(std::get<DeliverStep>(s.steps.at(0).body).drop);
  EXPECT_TRUE(FailsAt("drop\n", 1, 5, "expected the flow 'SRC -> DST' after 'drop'"));
}

}  // namespace
