#include "sim/script/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace portlab::sim::script {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();

// ---------------------------------------------------------------------------------------------
// Characters and strings

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_ident_start(char c) { return is_alpha(c) || c == '_'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }
// Characters that always form a token of their own in diagnostics.
bool is_punct(char c) {
  return c == '(' || c == ')' || c == ',' || c == '=' || c == '|' || c == '{' || c == '}' || c == '<' || c == '>' ||
         c == '!' || c == '"';
}
// Characters of an address:port token (`10.0.0.1:80`, `10.0.0.1:P`, `fe80::1:80`).
bool is_endpoint_char(char c) { return is_alnum(c) || c == '.' || c == ':' || c == '_' || c == '%' || c == '-'; }
bool is_sysctl_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }
bool is_device_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == '@' || c == ':'; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_digit(c); });
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !is_ident_start(s.front())) return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
}

bool is_device_name(std::string_view s) {
  if (s.empty() || !(is_alnum(s.front()) || s.front() == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_device_char(c); });
}

// A dotted name: net.ipv4.tcp_tw_reuse. Segments are [A-Za-z0-9_-]+, the first starts with a letter or '_'.
bool is_sysctl_name(std::string_view s) {
  if (s.empty() || !is_ident_start(s.front()) || s.back() == '.') return false;
  if (s.find("..") != kNpos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_sysctl_char(c); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(std::string_view(parts)), ...);
  return s;
}

std::string num(std::int64_t v) { return std::to_string(v); }
std::string num(std::size_t v) { return std::to_string(v); }
std::string num(int v) { return std::to_string(v); }

std::string hex_byte(unsigned char b) {
  constexpr std::string_view kDigits = "0123456789ABCDEF";
  std::string s = "0x";
  s += kDigits[b >> 4];
  s += kDigits[b & 0xF];
  return s;
}

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629), or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  const unsigned b0 = at(0);
  const auto cont = [&](std::size_t k) { return (at(k) & 0xC0u) == 0x80u; };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned b1 = at(1);
    const bool ok1 = b0 == 0xE0   ? (b1 >= 0xA0 && b1 <= 0xBF)
                     : b0 == 0xED ? (b1 >= 0x80 && b1 <= 0x9F)
                                  : (b1 >= 0x80 && b1 <= 0xBF);
    return ok1 && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned b1 = at(1);
    const bool ok1 = b0 == 0xF0   ? (b1 >= 0x90 && b1 <= 0xBF)
                     : b0 == 0xF4 ? (b1 >= 0x80 && b1 <= 0x8F)
                                  : (b1 >= 0x80 && b1 <= 0xBF);
    return ok1 && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// The line as shown in a diagnostic: invalid UTF-8 and control bytes (except tab) become '?'.
std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == '\t' || (b >= 0x20 && b < 0x7F)) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    const std::size_t len = b >= 0x80 ? utf8_sequence_length(s, i) : 0;
    if (len == 0) {
      out += '?';
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

// 'text', shortened if long (never splitting a UTF-8 sequence).
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 48;
  std::string out = "'";
  if (s.size() <= kMax) {
    out.append(s);
  } else {
    std::size_t cut = kMax - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u) --cut;
    out.append(s.substr(0, cut));
    out += "...";
  }
  out += '\'';
  return out;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Case-insensitive edit distance, treating '-' and '_' alike; for "did you mean" hints.
std::size_t distance(std::string_view a, std::string_view b) {
  const auto norm = [](char c) { return c == '-' ? '_' : lower(c); };
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const std::size_t cost = norm(a[i - 1]) == norm(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

// "; did you mean 'X'?" for the closest candidate within a small distance, else "".
std::string suggestion(std::string_view word, const std::vector<std::string_view>& candidates) {
  if (word.empty() || word.size() > 64) return {};
  std::string_view best;
  std::size_t best_d = 3;
  for (auto c : candidates) {
    const std::size_t d = distance(word, c);
    if (d < best_d && d < std::max<std::size_t>(word.size(), 2)) {
      best_d = d;
      best = c;
    }
  }
  if (best.empty()) return {};
  return cat("; did you mean ", quote(best), "?");
}

std::string join(const std::vector<std::string_view>& items) {
  std::string s;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) s += ", ";
    s.append(items[i]);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary tables

constexpr std::array kCallKinds{
    CallKind::socket,  CallKind::setsockopt,  CallKind::getsockopt, CallKind::bind, CallKind::listen,
    CallKind::connect, CallKind::accept,      CallKind::send,       CallKind::recv, CallKind::shutdown,
    CallKind::close,   CallKind::getsockname, CallKind::port,
};

std::optional<CallKind> call_from_name(std::string_view s) {
  for (auto k : kCallKinds)
    if (name(k) == s) return k;
  return std::nullopt;
}

std::vector<std::string_view> call_names() {
  std::vector<std::string_view> v;
  for (auto k : kCallKinds) v.push_back(name(k));
  return v;
}

std::vector<std::string_view> sockopt_names() {
  std::vector<std::string_view> v;
  for (int i = 0; i <= static_cast<int>(model::SockOpt::tcp_exclbind); ++i)
    v.push_back(model::name(static_cast<model::SockOpt>(i)));
  return v;
}

std::vector<std::string_view> errno_names() {
  std::vector<std::string_view> v;
  for (int i = 1; i <= static_cast<int>(model::Errno::wsaenobufs); ++i)
    v.push_back(model::name(static_cast<model::Errno>(i)));
  return v;
}

std::vector<std::string_view> state_names() {
  std::vector<std::string_view> v;
  for (int i = 0; i <= static_cast<int>(model::TcpState::time_wait); ++i)
    v.push_back(model::name(static_cast<model::TcpState>(i)));
  return v;
}

struct Arity {
  std::string_view count;  // "2", "1 or 2"
  std::string_view args;   // "socket, address:port"
};

Arity arity(CallKind k) {
  switch (k) {
    case CallKind::socket: return {"2 to 4", "family, stream[, nonblock][, uid=N]"};
    case CallKind::setsockopt: return {"3", "socket, option, value"};
    case CallKind::getsockopt: return {"2", "socket, option"};
    case CallKind::bind:
    case CallKind::connect: return {"2", "socket, address:port"};
    case CallKind::listen: return {"1 or 2", "socket[, backlog]"};
    case CallKind::send:
    case CallKind::recv: return {"2", "socket, byte count"};
    case CallKind::shutdown: return {"2", "socket, SHUT_RD|SHUT_WR|SHUT_RDWR"};
    case CallKind::accept:
    case CallKind::close:
    case CallKind::getsockname:
    case CallKind::port: return {"1", "socket"};
  }
  return {"?", "?"};
}

std::string opt_value_form(model::SockOpt opt) {
  switch (model::kind(opt)) {
    case model::OptKind::integer: return cat("an integer value for ", model::name(opt));
    case model::OptKind::linger: return cat("a linger value {ON, SECONDS} such as {1, 0} for ", model::name(opt));
    case model::OptKind::device: return cat("a device name or \"\" for ", model::name(opt));
    case model::OptKind::port_range: return cat("a port range LOW-HIGH such as 40000-40010 for ", model::name(opt));
  }
  return "a value";
}

enum class VarType : std::uint8_t { socket, integer };

std::string_view a_type(VarType t) { return t == VarType::socket ? "a socket" : "an integer"; }

struct VarInfo {
  VarType type = VarType::socket;
  int line = 0;
};

// ---------------------------------------------------------------------------------------------
// The parser. Every parse_* member returns false after recording the (first) error.

class Parser {
 public:
  Parser(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}
  ParseResult run();

 private:
  // Errors.
  SourceLoc loc(std::size_t at) const { return {line_no_, static_cast<int>(at) + 1}; }
  bool fail(std::size_t at, std::string message);
  bool fail_expected_at(std::size_t at, std::string_view what) {
    return fail(at, cat("expected ", what, ", found ", describe(at)));
  }
  bool fail_expected(std::string_view what) {
    skip_ws();
    return fail_expected_at(pos_, what);
  }
  std::string describe(std::size_t at) const;

  // Lexing within the current line.
  char peek(std::size_t ahead = 0) const {
    const std::size_t i = pos_ + ahead;
    return i < line_.size() ? line_[i] : '\0';
  }
  bool at_end() const { return pos_ >= line_.size(); }
  void skip_ws() {
    while (pos_ < line_.size() && is_space(line_[pos_])) ++pos_;
  }
  std::string_view scan_ident();
  std::size_t endpoint_run_end(std::size_t p) const;
  bool next_is_operator_or_in() const;

  // Pieces.
  bool parse_int(std::int64_t& out, std::string_view noun, std::string_view expected, std::int64_t lo = kI64Min,
                 std::int64_t hi = kI64Max);
  bool parse_var(VarRef& out, VarType want, std::string_view expected);
  bool use_var(const VarRef& v, VarType want, std::size_t at);
  bool parse_int_expr(IntExpr& out, std::string_view noun, std::string_view expected, std::int64_t lo = kI64Min,
                      std::int64_t hi = kI64Max);
  bool parse_port_expr(PortExpr& out, std::string_view expected);
  bool parse_endpoint(EndpointExpr& out);
  bool parse_op(CompareOp& out);
  bool parse_state(model::TcpState& out, bool allow_none, bool* is_none);
  bool parse_opt_name(model::SockOpt& out);
  bool parse_opt_value(model::SockOpt opt, model::OptValue& out);
  bool check_host(std::string_view host, std::size_t at);
  bool several_hosts() const { return script_.hosts.size() > 1; }

  // Lines and steps.
  bool process_line(std::string_view raw);
  bool parse_line();
  bool begin_step(std::size_t start);
  template <class Body>
  void add_step(std::size_t start, Body body);
  bool parse_host(std::size_t start);
  bool parse_host_os(HostDecl& h, std::string_view tok, std::size_t tp, std::size_t end);
  bool parse_prefixed_step(std::size_t start, std::string_view host);
  bool parse_call_step(std::size_t start, std::optional<std::string> host);
  bool parse_args(Call& call);
  bool parse_socket_args(SocketArgs& out);
  bool expect_comma(std::string_view after, CallKind k);
  bool expect_close(std::string_view after, CallKind k);
  bool fail_arity(CallKind k, std::size_t at);
  int count_args() const;
  bool parse_expectations(const Call& call, std::vector<Expectation>& out);
  bool parse_os_names(std::vector<OsRef>& out, std::string_view after);
  bool parse_os_directive(std::size_t start);
  // `RESULT [| RESULT]...` after '=' or '!=' (sign names it in messages), into e.alternatives.
  bool parse_alternatives(const Call& call, Expectation& e, bool allow_any_error, std::string_view sign);
  bool parse_alt(const Call& call, ExpectedValue& out, bool first, bool allow_any_error = false,
                 std::string_view sign = "'='");
  bool parse_deliver(std::size_t start, bool drop);
  bool parse_call_property(std::size_t start, bool never, std::optional<std::string> host, std::size_t name_pos);
  bool looks_like_endpoint(std::size_t p) const;
  bool parse_sysctl(std::size_t start);
  bool parse_wait(std::size_t start);
  bool parse_duration(model::Duration& out, std::string_view form);

  // Simulation: network, middlebox and workload blocks (see parse_workload_line).
  std::string_view next_word(std::size_t& at);
  bool parse_number(double& out, std::string_view what, bool percent, bool rate);
  bool parse_address_token(model::IpAddress& out, std::string_view what);
  bool parse_network(std::size_t start);
  bool parse_middlebox(std::size_t start);
  bool parse_workload_open(std::size_t start);
  bool parse_workload_line(std::size_t start);
  bool parse_workload_expect(std::size_t start, Workload& w);
  bool close_workload(std::size_t start);
  bool parse_expect(std::size_t start);
  bool parse_expect_state(ExpectStep& out);
  bool parse_expect_count(ExpectStep& out);
  bool parse_expect_int(ExpectStep& out);
  bool expect_line_end(std::string_view after);

  // Blocks and properties (`portlab explore`): process, loop, choose, always, never.
  struct OpenBlock {
    enum class Kind : std::uint8_t { process, loop, choose };
    Kind kind = Kind::process;
    std::size_t op = 0;               // loop/choose: index of its op in the process code
    std::vector<std::size_t> jumps;   // choose: the `jump` op ending each branch so far
    SourceLoc loc;                    // of the keyword
    std::string line;                 // the opening line, for an "is not closed" error
  };
  bool parse_process(std::size_t start);
  bool parse_loop(std::size_t start);
  bool parse_choose(std::size_t start);
  bool parse_close_brace(std::size_t start);
  bool parse_property(std::size_t start, bool never);
  bool expect_open_brace(std::string_view after);
  bool process_host(std::optional<std::string>& host, std::size_t start);
  void push_block(OpenBlock::Kind kind, std::size_t start, std::size_t op);
  std::optional<Diagnostic> unclosed_block() const;
  std::vector<ProcessOp>& code() { return proc_->code; }

  std::vector<OpenBlock> blocks_;
  Process* proc_ = nullptr;     // the process block being parsed
  bool in_property_ = false;    // parse_expect is reading the body of always/never
  bool property_never_ = false;
  std::size_t step_count_ = 0;  // steps in and out of process blocks

  std::string_view text_;
  std::string file_;
  Script script_;
  std::vector<int> host_lines_;  // parallel to script_.hosts
  std::map<std::string, VarInfo, std::less<>> vars_;
  std::optional<Diagnostic> error_;
  bool seen_step_ = false;
  int first_step_line_ = 0;
  int os_line_ = 0;  // line of the `os` directive
  bool in_workload_ = false;  // between `workload NAME {` and `}`
  std::map<std::string, int, std::less<>> workload_keys_;  // key -> line, in the open workload

  int line_no_ = 0;
  std::string_view raw_line_;  // the whole line, without terminator
  std::string_view line_;      // the line up to its comment
  std::size_t pos_ = 0;
  std::size_t args_open_ = 0;  // position of the current call's '('
};

bool Parser::fail(std::size_t at, std::string message) {
  if (!error_) {
    Diagnostic d;
    d.file = file_;
    d.loc = loc(at);
    d.message = std::move(message);
    d.source_line = sanitize(raw_line_);
    error_ = std::move(d);
  }
  return false;
}

std::string Parser::describe(std::size_t at) const {
  if (at >= line_.size()) return "end of line";
  const char c = line_[at];
  if (is_space(c)) return "whitespace";
  const std::string_view two = line_.substr(at, 2);
  if (two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "->" || two == "..") return quote(two);
  if (c == '"') {
    const std::size_t close = line_.find('"', at + 1);
    return quote(close == kNpos ? line_.substr(at) : line_.substr(at, close - at + 1));
  }
  if (is_punct(c)) return quote(line_.substr(at, 1));
  std::size_t q = at;
  while (q < line_.size() && !is_space(line_[q]) && !is_punct(line_[q])) {
    if (q > at && line_[q] == '-' && q + 1 < line_.size() && line_[q + 1] == '>') break;
    ++q;
  }
  return quote(line_.substr(at, q - at));
}

std::string_view Parser::scan_ident() {
  std::size_t p = pos_;
  if (p < line_.size() && is_ident_start(line_[p])) {
    ++p;
    while (p < line_.size()) {
      const char c = line_[p];
      if (is_alnum(c) || c == '_' || (c == '-' && !(p + 1 < line_.size() && line_[p + 1] == '>'))) {
        ++p;
      } else {
        break;
      }
    }
  }
  const std::string_view r = line_.substr(pos_, p - pos_);
  pos_ = p;
  return r;
}

std::size_t Parser::endpoint_run_end(std::size_t p) const {
  while (p < line_.size() && is_endpoint_char(line_[p])) {
    if (line_[p] == '-' && p + 1 < line_.size() && line_[p + 1] == '>') break;
    ++p;
  }
  return p;
}

bool Parser::next_is_operator_or_in() const {
  std::size_t q = pos_;
  while (q < line_.size() && is_space(line_[q])) ++q;
  if (q >= line_.size()) return false;
  const char c = line_[q];
  if (c == '=' || c == '!' || c == '<' || c == '>') return true;
  return line_.substr(q, 2) == "in" && (q + 2 >= line_.size() || is_space(line_[q + 2]));
}

// ---------------------------------------------------------------------------------------------
// Pieces

bool Parser::parse_int(std::int64_t& out, std::string_view noun, std::string_view expected, std::int64_t lo,
                       std::int64_t hi) {
  skip_ws();
  const std::size_t p = pos_;
  std::size_t q = p;
  if (q < line_.size() && line_[q] == '-') ++q;
  if (q >= line_.size() || !is_digit(line_[q])) return fail_expected_at(p, expected);
  while (q < line_.size() && is_digit(line_[q])) ++q;
  if (q < line_.size() &&
      (is_ident_start(line_[q]) || (line_[q] == '.' && q + 1 < line_.size() && is_digit(line_[q + 1])))) {
    return fail(p, cat("bad ", noun, " ", describe(p), "; expected ", expected));
  }
  const std::string_view tok = line_.substr(p, q - p);
  std::int64_t v = 0;
  const auto res = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (res.ec != std::errc{} || v < lo || v > hi) {
    if (lo == kI64Min && hi == kI64Max) return fail(p, cat(noun, " ", tok, " out of range (not a 64-bit integer)"));
    return fail(p, cat(noun, " ", tok, " out of range ", num(lo), "..", num(hi)));
  }
  out = v;
  pos_ = q;
  return true;
}

bool Parser::use_var(const VarRef& v, VarType want, std::size_t at) {
  const auto it = vars_.find(v.name);
  if (it == vars_.end()) {
    std::vector<std::string_view> known;
    for (const auto& [n, info] : vars_)
      if (info.type == want) known.push_back(n);
    return fail(at, cat("undefined variable ", quote(v.name), suggestion(v.name, known)));
  }
  if (it->second.type != want) {
    return fail(at, cat(quote(v.name), " is ", a_type(it->second.type), " variable, expected ", a_type(want), " (",
                        quote(v.name), " was bound at line ", num(it->second.line), ")"));
  }
  return true;
}

bool Parser::parse_var(VarRef& out, VarType want, std::string_view expected) {
  skip_ws();
  if (!is_ident_start(peek())) return fail_expected(expected);
  const std::size_t p = pos_;
  out.name = std::string(scan_ident());
  out.loc = loc(p);
  return use_var(out, want, p);
}

bool Parser::parse_int_expr(IntExpr& out, std::string_view noun, std::string_view expected, std::int64_t lo,
                            std::int64_t hi) {
  skip_ws();
  if (is_ident_start(peek())) {
    VarRef v;
    if (!parse_var(v, VarType::integer, expected)) return false;
    out = std::move(v);
    return true;
  }
  std::int64_t v = 0;
  if (!parse_int(v, noun, expected, lo, hi)) return false;
  out = v;
  return true;
}

// At the first character of the port (no whitespace skipped: `10.0.0.1: 80` is an error).
bool Parser::parse_port_expr(PortExpr& out, std::string_view expected) {
  const std::size_t p = pos_;
  const std::size_t end = endpoint_run_end(p);
  const std::string_view tok = line_.substr(p, end - p);
  if (tok.empty()) return fail_expected_at(p, expected);
  if (all_digits(tok)) {
    std::int64_t v = 0;
    if (!parse_int(v, "port", expected, 0, 65535)) return false;
    out = static_cast<std::uint16_t>(v);
    return true;
  }
  if (is_identifier(tok)) {
    VarRef v{std::string(tok), loc(p)};
    if (!use_var(v, VarType::integer, p)) return false;
    pos_ = end;
    out = std::move(v);
    return true;
  }
  return fail(p, cat("bad port ", quote(tok), "; expected a number 0..65535 or an integer variable"));
}

bool Parser::parse_endpoint(EndpointExpr& out) {
  skip_ws();
  const std::size_t start = pos_;
  out.loc = loc(start);
  std::size_t port_pos = 0;
  if (peek() == '[') {
    const std::size_t close = line_.find(']', start);
    if (close == kNpos) return fail(start, "missing ']' after the IPv6 address; write '[ADDRESS]:PORT'");
    const std::string_view addr_text = line_.substr(start + 1, close - start - 1);
    const auto addr = model::IpAddress::parse(addr_text);
    if (!addr) return fail(start + 1, cat("bad IPv4/IPv6 address ", quote(addr_text)));
    out.addr = *addr;
    if (close + 1 >= line_.size() || line_[close + 1] != ':') {
      return fail_expected_at(close + 1, cat("':PORT' after ", quote(line_.substr(start, close - start + 1))));
    }
    port_pos = close + 2;
  } else {
    const std::size_t end = endpoint_run_end(start);
    const std::string_view run = line_.substr(start, end - start);
    if (run.empty()) return fail_expected_at(start, "ADDRESS:PORT");
    const auto colons = std::count(run.begin(), run.end(), ':');
    if (colons == 0) {
      if (model::IpAddress::parse(run))
        return fail(end, cat("missing port after address ", quote(run), "; expected ADDRESS:PORT"));
      return fail_expected_at(start, "ADDRESS:PORT");
    }
    if (colons >= 2) {
      const std::size_t last = run.rfind(':');
      const std::string_view head = run.substr(0, last);
      const std::string_view tail = run.substr(last + 1);
      if (model::IpAddress::parse(head) && (all_digits(tail) || is_identifier(tail))) {
        return fail(start, cat("IPv6 address needs brackets: write '[", head, "]:", tail, "'"));
      }
      if (model::IpAddress::parse(run)) {
        return fail(start, cat("IPv6 address ", quote(run), " needs brackets and a port: write '[", run, "]:PORT'"));
      }
      return fail(start, cat("bad IPv4/IPv6 address in ", quote(run), "; IPv6 endpoints are written '[ADDRESS]:PORT'"));
    }
    const std::size_t colon = run.find(':');
    const std::string_view addr_text = run.substr(0, colon);
    if (addr_text.empty()) return fail(start, cat("expected an address before ", quote(run)));
    const auto addr = model::IpAddress::parse(addr_text);
    if (!addr) return fail(start, cat("bad IPv4/IPv6 address ", quote(addr_text)));
    out.addr = *addr;
    port_pos = start + colon + 1;
  }
  pos_ = port_pos;
  return parse_port_expr(out.port, "a port number or integer variable after ':'");
}

bool Parser::parse_op(CompareOp& out) {
  skip_ws();
  const std::size_t p = pos_;
  const char a = peek();
  const char b = peek(1);
  std::size_t len = 1;
  if (a == '=' && b == '=') {
    out = CompareOp::eq;
    len = 2;
  } else if (a == '!' && b == '=') {
    out = CompareOp::ne;
    len = 2;
  } else if (a == '<' && b == '=') {
    out = CompareOp::le;
    len = 2;
  } else if (a == '>' && b == '=') {
    out = CompareOp::ge;
    len = 2;
  } else if (a == '<') {
    out = CompareOp::lt;
  } else if (a == '>') {
    out = CompareOp::gt;
  } else if (a == '=') {
    return fail(p, "expected a comparison operator (==, !=, <, <=, >, >=), found '='; write '==' to compare");
  } else {
    return fail_expected_at(p, "a comparison operator (==, !=, <, <=, >, >=)");
  }
  pos_ += len;
  return true;
}

bool Parser::parse_state(model::TcpState& out, bool allow_none, bool* is_none) {
  skip_ws();
  const std::size_t p = pos_;
  if (!is_ident_start(peek())) {
    return fail_expected_at(p, allow_none ? "a TCP state such as ESTABLISHED or TIME-WAIT, or 'none'"
                                          : "a TCP state such as ESTABLISHED or TIME-WAIT");
  }
  const std::string_view w = scan_ident();
  if (w == "none") {
    if (allow_none && is_none) {
      *is_none = true;
      return true;
    }
    return fail(p, "'none' is only valid in 'state LOCAL -> REMOTE'; expected a TCP state such as ESTABLISHED");
  }
  if (const auto s = model::tcp_state_from_name(w)) {
    out = *s;
    return true;
  }
  std::string up(w);
  std::transform(up.begin(), up.end(), up.begin(), upper);
  if (model::tcp_state_from_name(up)) {
    return fail(p, cat("unknown TCP state ", quote(w), "; state names are upper case: ", quote(up)));
  }
  const auto names = state_names();
  return fail(p, cat("unknown TCP state ", quote(w), "; expected one of ", join(names), suggestion(w, names)));
}

bool Parser::parse_opt_name(model::SockOpt& out) {
  skip_ws();
  const std::size_t p = pos_;
  if (!is_ident_start(peek())) return fail_expected_at(p, "a socket option such as SO_REUSEADDR");
  const std::string_view w = scan_ident();
  if (const auto o = model::sockopt_from_name(w)) {
    out = *o;
    return true;
  }
  const auto names = sockopt_names();
  return fail(p, cat("unknown socket option ", quote(w), "; known options: ", join(names), suggestion(w, names)));
}

bool Parser::parse_opt_value(model::SockOpt opt, model::OptValue& out) {
  skip_ws();
  const std::size_t p = pos_;
  const std::string form = opt_value_form(opt);
  switch (model::kind(opt)) {
    case model::OptKind::integer: {
      std::int64_t v = 0;
      if (!parse_int(v, "integer", form)) return false;
      out = v;
      return true;
    }
    case model::OptKind::linger: {
      if (peek() != '{') return fail_expected_at(p, form);
      ++pos_;
      std::int64_t on = 0;
      std::int64_t seconds = 0;
      if (!parse_int(on, "linger on/off value", "linger on/off (0 or 1) after '{'", 0, 1)) return false;
      skip_ws();
      if (peek() != ',') return fail_expected("',' after the linger on/off value");
      ++pos_;
      if (!parse_int(seconds, "linger time", "linger time in seconds", std::numeric_limits<std::int32_t>::min(),
                     std::numeric_limits<std::int32_t>::max())) {
        return false;
      }
      skip_ws();
      if (peek() != '}') return fail_expected("'}' to close the linger value");
      ++pos_;
      out = model::Linger{on != 0, static_cast<std::int32_t>(seconds)};
      return true;
    }
    case model::OptKind::device: {
      if (peek() == '"') {
        const std::size_t close = line_.find('"', p + 1);
        if (close == kNpos) return fail(p, "unterminated string; expected a closing '\"'");
        out = std::string(line_.substr(p + 1, close - p - 1));
        pos_ = close + 1;
        return true;
      }
      if (!is_ident_start(peek())) return fail_expected_at(p, form);
      std::size_t q = p;
      while (q < line_.size() && is_device_char(line_[q])) ++q;
      if (q < line_.size() && !is_space(line_[q]) && !is_punct(line_[q])) {
        return fail(p, cat("bad device name ", describe(p), "; expected ", form));
      }
      out = std::string(line_.substr(p, q - p));
      pos_ = q;
      return true;
    }
    case model::OptKind::port_range: {
      std::int64_t low = 0;
      std::int64_t high = 0;
      if (!parse_int(low, "port", form, 0, 65535)) return false;
      if (peek() != '-') return fail_expected_at(pos_, cat("'-' and the upper port of ", form));
      ++pos_;
      if (!parse_int(high, "port", cat("the upper port of ", form), 0, 65535)) return false;
      out = model::PortRange{static_cast<std::uint16_t>(low), static_cast<std::uint16_t>(high)};
      return true;
    }
  }
  return fail(p, "internal error: unknown option kind");
}

bool Parser::check_host(std::string_view host, std::size_t at) {
  if (script_.hosts.empty()) {
    if (host == "local") return true;
    return fail(at, cat("unknown host ", quote(host), "; this script declares no hosts, so the only host is 'local'"));
  }
  std::vector<std::string_view> names;
  for (const auto& h : script_.hosts) {
    if (h.name == host) return true;
    names.push_back(h.name);
  }
  return fail(at, cat("unknown host ", quote(host), "; declared hosts: ", join(names), suggestion(host, names)));
}

// ---------------------------------------------------------------------------------------------
// Lines

ParseResult Parser::run() {
  script_.file = file_;
  std::string_view text = text_;
  if (text.size() > kMaxScriptBytes) {
    std::size_t line_start = 0;
    int line = 1;
    for (std::size_t i = 0; i < kMaxScriptBytes; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    line_no_ = line;
    const std::size_t nl = text.find('\n', line_start);
    const std::size_t len = (nl == kNpos ? text.size() : nl) - line_start;
    raw_line_ = text.substr(line_start, std::min(len, kMaxLineBytes));
    fail(kMaxScriptBytes - line_start,
         cat("script is ", num(text.size()), " bytes; the limit is ", num(kMaxScriptBytes), " bytes (4 MiB)"));
    return {std::nullopt, std::move(error_)};
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == kNpos ? text.size() : nl;
    std::string_view raw = text.substr(start, end - start);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    ++line_no_;
    if (!process_line(raw)) return {std::nullopt, std::move(error_)};
    if (nl == kNpos) break;
    start = nl + 1;
  }
  if (in_workload_) {
    const Workload& w = script_.workloads.back();
    line_no_ = w.loc.line;
    raw_line_ = line_ = w.lines.front();
    fail(static_cast<std::size_t>(w.loc.column - 1),
         cat("workload ", quote(w.name), " is not closed; expected '}' on a line of its own before the end of the file"));
    return {std::nullopt, std::move(error_)};
  }
  if (auto err = unclosed_block()) return {std::nullopt, std::move(err)};
  return {std::move(script_), std::nullopt};
}

bool Parser::process_line(std::string_view raw) {
  raw_line_ = raw;
  line_ = {};
  pos_ = 0;
  if (raw.size() > kMaxLineBytes) {
    raw_line_ = raw.substr(0, kMaxLineBytes);
    return fail(kMaxLineBytes,
                cat("line is ", num(raw.size()), " bytes long; the limit is ", num(kMaxLineBytes), " bytes"));
  }
  for (std::size_t i = 0; i < raw.size();) {
    const auto b = static_cast<unsigned char>(raw[i]);
    if (b == '\t' || (b >= 0x20 && b < 0x7F)) {
      ++i;
      continue;
    }
    if (b == '\r') return fail(i, "carriage return in the middle of a line; only LF and CRLF line endings are allowed");
    if (b < 0x80) return fail(i, cat("control character ", hex_byte(b), " in the script; only tab is allowed"));
    const std::size_t len = utf8_sequence_length(raw, i);
    if (len == 0) return fail(i, cat("invalid UTF-8 byte ", hex_byte(b), "; scripts must be UTF-8 text"));
    i += len;
  }
  std::size_t cut = raw.size();
  bool in_string = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '"') {
      in_string = !in_string;
    } else if (raw[i] == '#' && !in_string) {
      cut = i;
      break;
    }
  }
  line_ = raw.substr(0, cut);
  return parse_line();
}

bool Parser::parse_line() {
  skip_ws();
  if (at_end()) return true;  // blank or comment-only
  const std::size_t start = pos_;
  if (in_workload_) return parse_workload_line(start);
  if (peek() == '}') return parse_close_brace(start);
  if (!is_ident_start(peek())) {
    return fail_expected_at(start, "a step (host, sysctl, wait, expect, or a call such as 'c = socket(inet, stream)')");
  }
  const std::string_view word = scan_ident();
  skip_ws();
  const char c = peek();
  if (c == ':') return parse_prefixed_step(start, word);
  if ((c == '=' && peek(1) != '=') || c == '(') {
    if (!begin_step(start)) return false;
    pos_ = start;
    return parse_call_step(start, std::nullopt);
  }
  if (word == "host") return parse_host(start);
  if (word == "os") return parse_os_directive(start);
  if (word == "process") return parse_process(start);
  if (word == "loop") return parse_loop(start);
  if (word == "choose") return parse_choose(start);
  if (word == "always" || word == "never") return parse_property(start, word == "never");
  if (word == "sysctl") {
    if (proc_) {
      return fail(start, cat("sysctl inside process ", quote(proc_->name),
                             "; expected sysctl lines outside the process blocks"));
    }
    return begin_step(start) && parse_sysctl(start);
  }
  if (word == "wait") return begin_step(start) && parse_wait(start);
  if (word == "deliver" || word == "drop") return begin_step(start) && parse_deliver(start, word == "drop");
  if (word == "expect") return begin_step(start) && parse_expect(start);
  if ((word == "network" || word == "middlebox" || word == "workload") && !blocks_.empty()) {
    return fail(start, cat("'", word, "' belongs at the top level of the script, not inside a process, loop or choose block"));
  }
  if (word == "network") return begin_step(start) && parse_network(start);
  if (word == "middlebox") return begin_step(start) && parse_middlebox(start);
  if (word == "workload") return begin_step(start) && parse_workload_open(start);
  if (call_from_name(word)) return fail_expected(cat("'(' after ", quote(word)));
  return fail(start, cat("unknown statement ", describe(start),
                         "; expected host, sysctl, wait, expect, network, middlebox, workload, or a call such as "
                         "'c = socket(inet, stream)'"));
}

bool Parser::begin_step(std::size_t start) {
  if (step_count_ >= kMaxSteps) return fail(start, cat("too many steps: the limit is ", num(kMaxSteps)));
  ++step_count_;
  if (!seen_step_) {
    seen_step_ = true;
    first_step_line_ = line_no_;
  }
  return true;
}

template <class Body>
void Parser::add_step(std::size_t start, Body body) {
  Step s;
  s.body = std::move(body);
  s.loc = loc(start);
  s.text = std::string(trim(line_));
  if (in_property_) {
    script_.properties.push_back(Property{property_never_, std::move(s)});
  } else if (proc_) {
    ProcessOp op;
    op.kind = ProcessOp::Kind::step;
    op.step = proc_->steps.size();
    op.loc = s.loc;
    proc_->code.push_back(std::move(op));
    proc_->steps.push_back(std::move(s));
  } else {
    script_.steps.push_back(std::move(s));
  }
}

bool Parser::parse_host(std::size_t start) {
  if (seen_step_) {
    return fail(start, cat("host declarations must come before the first step (line ", num(first_step_line_), ")"));
  }
  if (script_.hosts.size() >= kMaxHosts) return fail(start, cat("too many hosts: the limit is ", num(kMaxHosts)));
  skip_ws();
  const std::size_t name_pos = pos_;
  if (!is_ident_start(peek())) return fail_expected_at(name_pos, "a host name after 'host'");
  const std::string_view host = scan_ident();
  if (!at_end() && !is_space(peek())) {
    return fail(name_pos,
                cat("bad host name ", describe(name_pos), "; host names are identifiers such as client or db-1"));
  }
  for (std::size_t i = 0; i < script_.hosts.size(); ++i) {
    if (script_.hosts[i].name == host) {
      return fail(name_pos, cat("duplicate host ", quote(host), " (first declared at line ", num(host_lines_[i]), ")"));
    }
  }
  HostDecl h;
  h.name = std::string(host);
  bool devices = false;
  for (;;) {
    skip_ws();
    if (at_end()) break;
    const std::size_t tp = pos_;
    std::size_t end = tp;
    while (end < line_.size() && !is_space(line_[end])) ++end;
    const std::string_view tok = line_.substr(tp, end - tp);
    if (tok.substr(0, 3) == "os=" || tok == "os") {
      if (!parse_host_os(h, tok, tp, end)) return false;
      continue;
    }
    if (tok == "dev") {
      if (h.addresses.empty()) return fail_expected_at(tp, cat("at least one address after host name ", quote(host)));
      pos_ = end;
      devices = true;
      break;
    }
    const std::size_t slash = tok.rfind('/');
    const std::string_view addr_text = slash == kNpos ? tok : tok.substr(0, slash);
    const auto addr = model::IpAddress::parse(addr_text);
    if (!addr) return fail(tp, cat("bad IPv4/IPv6 address ", quote(addr_text)));
    const int max_prefix = addr->family() == model::Family::inet ? 32 : 128;
    int prefix = max_prefix;
    if (slash != kNpos) {
      const std::string_view pt = tok.substr(slash + 1);
      const std::size_t pp = tp + slash + 1;
      if (!all_digits(pt)) return fail(pp, cat("bad prefix length ", quote(pt), "; expected 0..", num(max_prefix)));
      const auto res = std::from_chars(pt.data(), pt.data() + pt.size(), prefix);
      if (res.ec != std::errc{} || prefix > max_prefix) {
        return fail(pp, cat("prefix length ", pt, " out of range 0..", num(max_prefix)));
      }
    }
    if (std::find(h.addresses.begin(), h.addresses.end(), *addr) != h.addresses.end()) {
      return fail(tp, cat("duplicate address ", quote(addr->to_string()), " on host ", quote(host)));
    }
    h.addresses.push_back(*addr);
    h.prefix_lengths.push_back(prefix);
    pos_ = end;
  }
  if (h.addresses.empty()) return fail_expected_at(pos_, cat("at least one address after host name ", quote(host)));
  if (devices) {
    for (;;) {
      skip_ws();
      if (at_end()) break;
      const std::size_t tp = pos_;
      std::size_t end = tp;
      while (end < line_.size() && !is_space(line_[end])) ++end;
      const std::string_view tok = line_.substr(tp, end - tp);
      if (tok.substr(0, 3) == "os=" || tok == "os") {
        if (!parse_host_os(h, tok, tp, end)) return false;
        continue;
      }
      if (!is_device_name(tok)) return fail(tp, cat("bad device name ", quote(tok), "; expected a name such as eth0"));
      if (std::find(h.devices.begin(), h.devices.end(), tok) != h.devices.end()) {
        return fail(tp, cat("duplicate device ", quote(tok), " on host ", quote(host)));
      }
      h.devices.emplace_back(tok);
      pos_ = end;
    }
    if (h.devices.empty()) return fail_expected_at(pos_, "at least one device name after 'dev'");
  }
  script_.hosts.push_back(std::move(h));
  host_lines_.push_back(line_no_);
  return true;
}

// `os=NAME` in a host declaration: [tp, end) is the token.
bool Parser::parse_host_os(HostDecl& h, std::string_view tok, std::size_t tp, std::size_t end) {
  if (tok == "os") return fail(tp, cat("expected 'os=NAME' (no spaces) to give host ", quote(h.name), " its own OS"));
  if (h.os) {
    return fail(tp, cat("duplicate 'os=' on host ", quote(h.name), " (the first is at column ", num(h.os->loc.column),
                        ")"));
  }
  const std::size_t p = tp + 3;
  if (p >= end || !is_ident_start(line_[p])) {
    return fail_expected_at(p, "an OS name right after 'os=' (such as windows)");
  }
  std::size_t q = p;
  while (q < end && (is_alnum(line_[q]) || line_[q] == '_' || line_[q] == '-' || line_[q] == '.')) ++q;
  if (q < end) return fail(q, cat("a host runs one OS: expected one name after 'os=', found ", describe(q)));
  h.os = OsRef{std::string(line_.substr(p, q - p)), loc(p)};
  pos_ = end;
  return true;
}

bool Parser::parse_prefixed_step(std::size_t start, std::string_view host) {
  ++pos_;  // ':'
  if (!check_host(host, start)) return false;
  if (!begin_step(start)) return false;
  skip_ws();
  if (is_ident_start(peek())) {
    const std::size_t p = pos_;
    const std::string_view word = scan_ident();
    skip_ws();
    const bool call_like = (peek() == '=' && peek(1) != '=') || peek() == '(';
    if (!call_like) {
      if (word == "expect") return fail(start, cat("put the host after 'expect': write 'expect ", host, ": ...'"));
      if (word == "sysctl")
        return fail(start, cat("put the host after 'sysctl': write 'sysctl ", host, " NAME=VALUE'"));
      if (word == "wait")
        return fail(start, cat("'wait' advances time on every host; remove the ", quote(cat(host, ":")), " prefix"));
      if (word == "host") return fail(start, "a host declaration takes no 'HOST:' prefix");
    }
    pos_ = p;
  }
  return parse_call_step(start, std::string(host));
}

bool Parser::parse_call_step(std::size_t start, std::optional<std::string> host) {
  CallStep cs;
  cs.host = std::move(host);
  skip_ws();
  if (!is_ident_start(peek())) return fail_expected("a call such as 'c = socket(inet, stream)'");
  const std::size_t first_pos = pos_;
  const std::string_view first = scan_ident();
  skip_ws();
  std::optional<std::string_view> bind_var;
  std::size_t name_pos = first_pos;
  std::string_view call_name = first;
  if (peek() == '=' && peek(1) != '=') {
    bind_var = first;
    ++pos_;
    skip_ws();
    if (!is_ident_start(peek()))
      return fail_expected(cat("a call after ", quote(cat(first, " =")), " (socket, accept or port)"));
    name_pos = pos_;
    call_name = scan_ident();
    skip_ws();
  }
  const auto kind = call_from_name(call_name);
  if (!kind) {
    const auto names = call_names();
    return fail(name_pos, cat("unknown call ", quote(call_name), "; expected one of ", join(names),
                              suggestion(call_name, names)));
  }
  if (peek() != '(') return fail_expected(cat("'(' after ", quote(call_name)));
  if (!process_host(cs.host, start)) return false;
  if (several_hosts() && !cs.host) return fail(start, "this script has several hosts; prefix the step with 'HOST:'");
  const bool binds = *kind == CallKind::socket || *kind == CallKind::accept || *kind == CallKind::port;
  const VarType bind_type = *kind == CallKind::port ? VarType::integer : VarType::socket;
  if (bind_var) {
    if (!binds) {
      return fail(first_pos, cat(call_name, "() returns nothing to bind to ", quote(*bind_var),
                                 "; only socket, accept and port results can be bound"));
    }
    const auto it = vars_.find(*bind_var);
    if (it != vars_.end() && it->second.type != bind_type) {
      return fail(first_pos, cat(quote(*bind_var), " is ", a_type(it->second.type), " variable (bound at line ",
                                 num(it->second.line), "); it cannot be rebound to ", a_type(bind_type)));
    }
  } else if (*kind == CallKind::port) {
    return fail(name_pos, "port() must bind its result to an integer variable, e.g. 'P = port(c)'");
  }
  cs.call.kind = *kind;
  cs.call.loc = loc(name_pos);
  if (!parse_args(cs.call)) return false;
  skip_ws();
  if (!at_end()) {
    const bool eq = peek() == '=' && peek(1) != '=';
    const bool ne = peek() == '!' && peek(1) == '=';
    if (!eq && !ne) {
      return fail(
          pos_, cat("unexpected ", describe(pos_), " after ", call_name, "(...); expected '= RESULT' or end of line"));
    }
    if (!parse_expectations(cs.call, cs.expects)) return false;
  }
  if (bind_var) {
    vars_[std::string(*bind_var)] = VarInfo{bind_type, line_no_};
    cs.bind_var = std::string(*bind_var);
  }
  add_step(start, std::move(cs));
  return true;
}

int Parser::count_args() const {
  int commas = 0;
  bool any = false;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = args_open_ + 1; i < line_.size(); ++i) {
    const char c = line_[i];
    if (in_string) {
      if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      any = true;
      continue;
    }
    if (c == '(' || c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    } else if (c == ')') {
      if (depth == 0) break;
      --depth;
    } else if (c == ',' && depth == 0) {
      ++commas;
      any = true;
      continue;
    }
    if (!is_space(c)) any = true;
  }
  return any ? commas + 1 : 0;
}

bool Parser::fail_arity(CallKind k, std::size_t at) {
  const Arity a = arity(k);
  return fail(at, cat("wrong number of arguments to ", name(k), ": expected ", a.count, " (", a.args, "), found ",
                      num(count_args())));
}

bool Parser::expect_comma(std::string_view after, CallKind k) {
  skip_ws();
  if (peek() == ',') {
    ++pos_;
    skip_ws();
    return true;
  }
  if (peek() == ')') {
    const Arity a = arity(k);
    return fail(pos_, cat("expected ',' after ", after, ", found ')'; ", name(k), " takes ", a.count,
                          a.count == "1" ? " argument (" : " arguments (", a.args, ")"));
  }
  return fail_expected(cat("',' after ", after));
}

bool Parser::expect_close(std::string_view after, CallKind k) {
  skip_ws();
  if (peek() == ')') {
    ++pos_;
    return true;
  }
  if (peek() == ',') {
    ++pos_;
    skip_ws();
    return fail_arity(k, pos_);
  }
  return fail_expected(cat("')' after ", after));
}

bool Parser::parse_socket_args(SocketArgs& out) {
  const CallKind k = CallKind::socket;
  skip_ws();
  std::size_t p = pos_;
  const std::string_view family = scan_ident();
  if (family == "inet") {
    out.family = model::Family::inet;
  } else if (family == "inet6") {
    out.family = model::Family::inet6;
  } else {
    return fail_expected_at(p, "address family 'inet' or 'inet6'");
  }
  if (!expect_comma("address family", k)) return false;
  p = pos_;
  if (scan_ident() != "stream") return fail_expected_at(p, "socket type 'stream' (portlab models TCP only)");
  int nargs = 2;
  for (;;) {
    skip_ws();
    if (peek() == ')') {
      ++pos_;
      return true;
    }
    if (peek() != ',')
      return fail_expected(nargs == 2 ? "',' or ')' after socket type" : "',' or ')' after socket flag");
    ++pos_;
    skip_ws();
    if (nargs == 4) return fail_arity(k, pos_);
    ++nargs;
    p = pos_;
    const std::string_view flag = scan_ident();
    if (flag == "nonblock") {
      if (out.nonblock) return fail(p, "duplicate 'nonblock' flag");
      out.nonblock = true;
    } else if (flag == "uid") {
      if (out.uid) return fail(p, "duplicate 'uid=N' flag");
      skip_ws();
      if (peek() != '=') return fail_expected("'=' after 'uid'");
      ++pos_;
      std::int64_t uid = 0;
      if (!parse_int(uid, "uid", "a uid (0..4294967295) after 'uid='", 0, std::numeric_limits<std::uint32_t>::max())) {
        return false;
      }
      out.uid = static_cast<std::uint32_t>(uid);
    } else {
      return fail_expected_at(p, "'nonblock' or 'uid=N'");
    }
  }
}

bool Parser::parse_args(Call& call) {
  args_open_ = pos_;
  ++pos_;  // '('
  const CallKind k = call.kind;
  skip_ws();
  if (peek() == ')') return fail_arity(k, pos_);
  if (k == CallKind::socket) return parse_socket_args(call.socket_args);
  VarRef sock;
  if (!parse_var(sock, VarType::socket, cat("a socket variable as the first argument of ", name(k)))) return false;
  call.sock = std::move(sock);
  switch (k) {
    case CallKind::setsockopt: {
      model::SockOpt opt{};
      model::OptValue value;
      if (!expect_comma("socket variable", k) || !parse_opt_name(opt)) return false;
      call.opt = opt;
      if (!expect_comma("option name", k) || !parse_opt_value(opt, value)) return false;
      call.opt_value = std::move(value);
      return expect_close("option value", k);
    }
    case CallKind::getsockopt: {
      model::SockOpt opt{};
      if (!expect_comma("socket variable", k) || !parse_opt_name(opt)) return false;
      call.opt = opt;
      return expect_close("option name", k);
    }
    case CallKind::bind:
    case CallKind::connect: {
      EndpointExpr ep;
      if (!expect_comma("socket variable", k) || !parse_endpoint(ep)) return false;
      call.endpoint = std::move(ep);
      return expect_close("address:port", k);
    }
    case CallKind::listen: {
      skip_ws();
      if (peek() == ')') {
        ++pos_;
        return true;
      }
      if (peek() != ',') return fail_expected("',' or ')' after socket variable");
      ++pos_;
      IntExpr backlog;
      if (!parse_int_expr(backlog, "backlog", "a backlog (an integer or integer variable)")) return false;
      call.count = std::move(backlog);
      return expect_close("backlog", k);
    }
    case CallKind::send:
    case CallKind::recv: {
      IntExpr n;
      if (!expect_comma("socket variable", k)) return false;
      if (!parse_int_expr(n, "byte count", "a byte count (an integer or integer variable)", 0)) return false;
      call.count = std::move(n);
      return expect_close("byte count", k);
    }
    case CallKind::shutdown: {
      if (!expect_comma("socket variable", k)) return false;
      const std::size_t p = pos_;
      const std::string_view how = scan_ident();
      if (how == "SHUT_RD") {
        call.how = ShutdownHow::rd;
      } else if (how == "SHUT_WR") {
        call.how = ShutdownHow::wr;
      } else if (how == "SHUT_RDWR") {
        call.how = ShutdownHow::rdwr;
      } else {
        return fail_expected_at(p, "SHUT_RD, SHUT_WR or SHUT_RDWR");
      }
      return expect_close("shutdown mode", k);
    }
    case CallKind::socket:  // handled above
    case CallKind::accept:
    case CallKind::close:
    case CallKind::getsockname:
    case CallKind::port: return expect_close("socket variable", k);
  }
  return fail(pos_, "internal error: unknown call kind");
}

// `= ALTS [@OS,...]`, repeated: one group per OS list, at most one group without a list.
bool Parser::parse_expectations(const Call& call, std::vector<Expectation>& out) {
  std::optional<SourceLoc> default_group;
  for (;;) {
    const std::size_t eq = pos_;
    Expectation e;
    e.loc = loc(eq);
    e.negated = peek() == '!';
    pos_ += e.negated ? 2 : 1;  // '=' or '!='
    if (!parse_alternatives(call, e, e.negated, e.negated ? "'!='" : "'='")) return false;
    if (peek() == '@') {
      ++pos_;
      if (!parse_os_names(e.os, "'@'")) return false;
      for (const auto& o : e.os) {
        for (const auto& g : out) {
          for (const auto& earlier : g.os) {
            if (earlier.name == o.name) {
              return fail(static_cast<std::size_t>(o.loc.column - 1),
                          cat("OS ", quote(o.name), " already has expected results (the group at column ",
                              num(g.loc.column), "); name each OS in at most one '@' list"));
            }
          }
        }
      }
    } else if (default_group) {
      return fail(eq, cat("a second group of expected results without '@OS' (the first is at column ",
                          num(default_group->column),
                          "); only one group may be the default, give this one '@OS,...'"));
    } else {
      default_group = e.loc;
    }
    const bool had_os = !e.os.empty();
    out.push_back(std::move(e));
    skip_ws();
    if (at_end()) return true;
    if ((peek() == '=' && peek(1) != '=') || (peek() == '!' && peek(1) == '=')) continue;
    if (had_os) {
      return fail(pos_, cat("unexpected ", describe(pos_),
                            " after the OS names; expected ',' and another OS name, '= RESULT' for other OSes, "
                            "or end of line"));
    }
    return fail(pos_, cat("unexpected ", describe(pos_),
                          " after expected result; expected '|' or end of line (or '@OS,...' to make the results "
                          "per OS)"));
  }
}

// NAME[,NAME...] after `os` or '@'. OS names are identifiers that may contain '.' and '-'
// (`linux-4.4`); the check engine resolves them.
bool Parser::parse_os_names(std::vector<OsRef>& out, std::string_view after) {
  for (;;) {
    skip_ws();
    const std::size_t p = pos_;
    if (!is_ident_start(peek())) return fail_expected_at(p, cat("an OS name after ", after, " (such as linux or freebsd)"));
    std::size_t q = p;
    while (q < line_.size() && (is_alnum(line_[q]) || line_[q] == '_' || line_[q] == '-' || line_[q] == '.')) ++q;
    const std::string_view os = line_.substr(p, q - p);
    for (const auto& o : out) {
      if (o.name == os) return fail(p, cat("duplicate OS ", quote(os), " in this list (first at column ", num(o.loc.column), ")"));
    }
    out.push_back(OsRef{std::string(os), loc(p)});
    pos_ = q;
    skip_ws();
    if (peek() != ',') return true;
    ++pos_;
    after = "','";
  }
}

bool Parser::parse_os_directive(std::size_t start) {
  if (seen_step_) {
    return fail(start, cat("the 'os' directive must come before the first step (line ", num(first_step_line_), ")"));
  }
  if (os_line_ != 0) return fail(start, cat("duplicate 'os' directive (the first is at line ", num(os_line_), ")"));
  if (!parse_os_names(script_.os, "'os'")) return false;
  if (!expect_line_end("the OS names")) return false;
  os_line_ = line_no_;
  return true;
}

bool Parser::looks_like_endpoint(std::size_t p) const {
  if (p >= line_.size()) return false;
  const char c = line_[p];
  if (c == '[') return true;
  if (!is_digit(c) && c != ':') return false;
  const std::string_view run = line_.substr(p, endpoint_run_end(p) - p);
  return run.find(':') != kNpos || std::count(run.begin(), run.end(), '.') >= 2;
}

bool Parser::parse_alternatives(const Call& call, Expectation& e, bool allow_any_error, std::string_view sign) {
  for (bool first = true;; first = false) {
    ExpectedValue alt;
    if (!parse_alt(call, alt, first, allow_any_error, sign)) return false;
    e.alternatives.push_back(std::move(alt));
    skip_ws();
    if (peek() != '|') return true;
    ++pos_;
  }
}

bool Parser::parse_alt(const Call& call, ExpectedValue& out, bool first, bool allow_any_error, std::string_view sign) {
  skip_ws();
  const std::size_t p = pos_;
  out.loc = loc(p);
  if (at_end() || peek() == '|') {
    return fail_expected_at(p, cat("a result after ", first ? sign : "'|'",
                                   allow_any_error ? " (e.g. 0, -1 EADDRINUSE, or -1 for any error)"
                                                   : " (e.g. 0 or -1 EADDRINUSE)"));
  }
  const bool opt_result = call.kind == CallKind::getsockopt && call.opt.has_value();
  const model::OptKind okind = opt_result ? model::kind(*call.opt) : model::OptKind::integer;
  if (peek() == '-' && is_digit(peek(1))) {
    std::int64_t v = 0;
    if (!parse_int(v, "integer", "an integer")) return false;
    if (v == -1) {
      const std::size_t after = pos_;
      skip_ws();
      if (is_ident_start(peek())) {
        const std::size_t ep = pos_;
        const std::string_view en = scan_ident();
        const auto e = model::errno_from_name(en);
        if (!e) return fail(ep, cat("unknown errno name ", quote(en), suggestion(en, errno_names())));
        out.error = *e;
        return true;
      }
      if (opt_result && okind == model::OptKind::integer) {  // an option whose value is -1
        pos_ = after;
        out.integer = v;
        return true;
      }
      if (allow_any_error) {  // `-1` alone: any error
        pos_ = after;
        out.any_error = true;
        return true;
      }
      return fail_expected("an errno name after -1 (e.g. -1 EADDRINUSE)");
    }
    if (opt_result && okind != model::OptKind::integer) return fail_expected_at(p, opt_value_form(*call.opt));
    out.integer = v;
    return true;
  }
  if (opt_result && okind != model::OptKind::integer) {
    model::OptValue v;
    if (!parse_opt_value(*call.opt, v)) return false;
    out.opt_value = std::move(v);
    return true;
  }
  if (looks_like_endpoint(p)) {
    if (call.kind != CallKind::getsockname) {
      return fail(p, cat("an address:port result is only valid for getsockname, found ", describe(p)));
    }
    EndpointExpr ep;
    if (!parse_endpoint(ep)) return false;
    out.endpoint = std::move(ep);
    return true;
  }
  if (is_ident_start(peek())) {
    const std::size_t vp = pos_;
    const std::string_view w = scan_ident();
    if (vars_.find(w) == vars_.end() && model::errno_from_name(w)) {
      return fail(vp, cat("errno name ", quote(w), " needs '-1' before it: write '-1 ", w, "'"));
    }
    VarRef v{std::string(w), loc(vp)};
    if (!use_var(v, VarType::integer, vp)) return false;
    out.integer = std::move(v);
    return true;
  }
  std::int64_t v = 0;
  if (!parse_int(v, "integer", "a result (an integer, -1 ERRNO, or an integer variable)")) return false;
  out.integer = v;
  return true;
}

bool Parser::parse_sysctl(std::size_t start) {
  SysctlStep st;
  skip_ws();
  const std::size_t p1 = pos_;
  std::size_t q = p1;
  while (q < line_.size() && is_sysctl_char(line_[q])) ++q;
  const std::string_view tok1 = line_.substr(p1, q - p1);
  if (tok1.empty()) return fail_expected_at(p1, "NAME=VALUE after 'sysctl'");
  pos_ = q;
  skip_ws();
  std::size_t name_pos = p1;
  std::string_view knob = tok1;
  if (peek() != '=') {
    if (!is_identifier(tok1) || at_end() || !is_sysctl_char(peek())) {
      return fail_expected(cat("'=' after sysctl name ", quote(tok1)));
    }
    // sysctl HOST NAME=VALUE
    if (!check_host(tok1, p1)) return false;
    st.host = std::string(tok1);
    name_pos = pos_;
    q = pos_;
    while (q < line_.size() && is_sysctl_char(line_[q])) ++q;
    knob = line_.substr(name_pos, q - name_pos);
    pos_ = q;
    skip_ws();
    if (peek() != '=') return fail_expected(cat("'=' after sysctl name ", quote(knob)));
  }
  if (!is_sysctl_name(knob)) {
    return fail(name_pos,
                cat("bad sysctl name ", quote(knob), "; expected a dotted name such as net.ipv4.tcp_tw_reuse"));
  }
  ++pos_;  // '='
  skip_ws();
  const std::size_t at = line_.find('@', pos_);  // `sysctl NAME=VALUE @OS,...`
  const std::string_view value = trim(line_.substr(pos_, at == kNpos ? kNpos : at - pos_));
  if (value.empty()) return fail(pos_, cat("missing value for sysctl ", quote(knob), "; expected NAME=VALUE"));
  st.name = std::string(knob);
  st.value = std::string(value);
  st.value_loc = loc(pos_);
  if (at != kNpos) {
    pos_ = at + 1;
    if (!parse_os_names(st.os, "'@'") || !expect_line_end("the OS names")) return false;
  }
  add_step(start, std::move(st));
  return true;
}

bool Parser::parse_duration(model::Duration& out, std::string_view kForm) {
  skip_ws();
  const std::size_t p = pos_;
  if (!is_digit(peek())) return fail_expected_at(p, kForm);
  std::size_t q = p;
  while (q < line_.size() && is_digit(line_[q])) ++q;
  const std::size_t int_end = q;
  std::size_t frac_begin = q;
  std::size_t frac_end = q;
  if (q < line_.size() && line_[q] == '.') {
    ++q;
    frac_begin = q;
    while (q < line_.size() && is_digit(line_[q])) ++q;
    frac_end = q;
    if (frac_end == frac_begin) return fail(p, cat("bad duration ", describe(p), "; expected ", kForm));
  }
  const std::size_t unit_begin = q;
  while (q < line_.size() && is_alpha(line_[q])) ++q;
  const std::string_view unit = line_.substr(unit_begin, q - unit_begin);
  const std::string_view tok = line_.substr(p, q - p);
  if (q < line_.size() && !is_space(line_[q])) return fail(p, cat("bad duration ", describe(p), "; expected ", kForm));
  if (unit.empty()) return fail(p, cat("missing unit in duration ", quote(tok), "; expected one of ns, us, ms, s, m, h"));
  std::int64_t unit_ns = 0;
  if (unit == "ns") {
    unit_ns = 1;
  } else if (unit == "us") {
    unit_ns = 1'000;
  } else if (unit == "ms") {
    unit_ns = 1'000'000;
  } else if (unit == "s") {
    unit_ns = 1'000'000'000;
  } else if (unit == "m") {
    unit_ns = 60'000'000'000;
  } else if (unit == "h") {
    unit_ns = 3'600'000'000'000;
  } else {
    return fail(unit_begin,
                cat("unknown unit ", quote(unit), " in duration ", quote(tok), "; expected one of ns, us, ms, s, m, h"));
  }
  const std::string too_large = cat("duration ", quote(tok), " is too large");
  std::int64_t whole = 0;
  const auto res = std::from_chars(line_.data() + p, line_.data() + int_end, whole);
  if (res.ec != std::errc{}) return fail(p, too_large);
  std::int64_t total = 0;
  if (__builtin_mul_overflow(whole, unit_ns, &total)) return fail(p, too_large);
  std::string_view frac = line_.substr(frac_begin, frac_end - frac_begin);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  if (!frac.empty()) {
    const std::string not_whole = cat("duration ", quote(tok), " is not a whole number of nanoseconds");
    // After dropping trailing zeros, frac/10^k * unit is integral only if 10^k divides frac*unit;
    // unit divides 6*10^10, so k <= 11 is necessary.
    if (frac.size() > 11) return fail(p, not_whole);
    std::int64_t pow10 = 1;
    for (std::size_t i = 0; i < frac.size(); ++i) pow10 *= 10;
    std::int64_t numer = 0;
    std::from_chars(frac.data(), frac.data() + frac.size(), numer);
    const std::int64_t g = std::gcd(unit_ns, pow10);
    const std::int64_t denom = pow10 / g;
    if (numer % denom != 0) return fail(p, not_whole);
    const std::int64_t extra = (numer / denom) * (unit_ns / g);  // < unit_ns: cannot overflow
    if (__builtin_add_overflow(total, extra, &total)) return fail(p, too_large);
  }
  pos_ = q;
  out = model::Duration(total);
  return true;
}

bool Parser::parse_wait(std::size_t start) {
  WaitStep w;
  if (!parse_duration(w.duration, "a duration such as 1s, 250ms or 1.5s after 'wait'")) return false;
  if (!expect_line_end("the duration")) return false;
  add_step(start, w);
  return true;
}

bool Parser::expect_line_end(std::string_view after) {
  skip_ws();
  if (at_end()) return true;
  return fail(pos_, cat("unexpected ", describe(pos_), " after ", after, "; expected end of line"));
}

bool Parser::parse_expect(std::size_t start) {
  ExpectStep es;
  skip_ws();
  std::size_t host_pos = kNpos;
  if (is_ident_start(peek())) {
    const std::size_t p = pos_;
    const std::string_view w = scan_ident();
    skip_ws();
    if (peek() == ':') {
      if (!check_host(w, p)) return false;
      es.host = std::string(w);
      host_pos = p;
      ++pos_;
      skip_ws();
    } else {
      pos_ = p;
    }
  }
  const std::size_t body = pos_;
  std::string_view keyword;
  if (is_ident_start(peek())) {
    const std::string_view w = scan_ident();
    if ((w == "state" || w == "count") && !next_is_operator_or_in()) {
      keyword = w;
    } else {
      pos_ = body;
    }
  }
  if (!keyword.empty()) {
    if (!process_host(es.host, host_pos == kNpos ? body : host_pos)) return false;
    if (several_hosts() && !es.host) {
      return fail(body,
                  cat("this script has several hosts; prefix the step with 'HOST:' (expect HOST: ", keyword, " ...)"));
    }
    if (keyword == "state" ? !parse_expect_state(es) : !parse_expect_count(es)) return false;
  } else {
    if (at_end() || !(is_ident_start(peek()) || is_digit(peek()) || (peek() == '-' && is_digit(peek(1))))) {
      return fail_expected_at(body, cat("'state', 'count', or an integer comparison after '",
                                        in_property_ ? (property_never_ ? "never" : "always") : "expect", "'"));
    }
    if (es.host) {
      return fail(host_pos, cat("an integer 'expect' compares script variables, not host state; remove the ",
                                quote(cat(*es.host, ":")), " prefix"));
    }
    if (!parse_expect_int(es)) return false;
  }
  skip_ws();
  if (peek() == '@') {
    ++pos_;
    if (!parse_os_names(es.os, "'@'")) return false;
    if (!expect_line_end("the OS names")) return false;
  }
  if (!expect_line_end("the expectation")) return false;
  add_step(start, std::move(es));
  return true;
}

bool Parser::parse_expect_state(ExpectStep& out) {
  skip_ws();
  const std::size_t p = pos_;
  bool tuple = peek() == '[' || is_digit(peek()) || peek() == ':';
  if (!tuple) {
    if (!is_ident_start(peek())) {
      return fail_expected_at(p, "'LOCAL -> REMOTE' (two address:port) or a socket variable after 'state'");
    }
    scan_ident();  // `fe80::1:80` is a (badly written) endpoint, not a variable
    tuple = peek() == ':' || peek() == '.';
    pos_ = p;
  }
  if (tuple) {
    ExpectTupleState t;
    if (!parse_endpoint(t.local)) return false;
    skip_ws();
    if (!(peek() == '-' && peek(1) == '>')) return fail_expected("'->' between the local and the remote address:port");
    pos_ += 2;
    if (!parse_endpoint(t.remote)) return false;
    skip_ws();
    const std::size_t op_pos = pos_;
    if (!parse_op(t.op)) return false;
    if (t.op != CompareOp::eq && t.op != CompareOp::ne)
      return fail_expected_at(op_pos, "'==' or '!=' before the state");
    bool none = false;
    model::TcpState s{};
    if (!parse_state(s, true, &none)) return false;
    if (!none) t.state = s;
    out.what = std::move(t);
    return true;
  }
  ExpectSocketState ss;
  if (!parse_var(ss.sock, VarType::socket, "a socket variable")) return false;
  skip_ws();
  const std::size_t op_pos = pos_;
  if (!parse_op(ss.op)) return false;
  if (ss.op != CompareOp::eq && ss.op != CompareOp::ne)
    return fail_expected_at(op_pos, "'==' or '!=' before the state");
  if (!parse_state(ss.state, false, nullptr)) return false;
  out.what = std::move(ss);
  return true;
}

bool Parser::parse_expect_count(ExpectStep& out) {
  ExpectCount c;
  if (!parse_state(c.state, false, nullptr)) return false;
  skip_ws();
  const std::size_t p = pos_;
  if (is_ident_start(peek()) && scan_ident() == "port") {
    skip_ws();
    PortExpr port;
    if (!parse_port_expr(port, "a port number or integer variable after 'port'")) return false;
    c.port = std::move(port);
  } else {
    pos_ = p;
  }
  // `count STATE LOCAL -> REMOTE`: the connections on one 4-tuple.
  if (looks_like_endpoint(pos_)) {
    EndpointExpr local, remote;
    if (!parse_endpoint(local)) return false;
    skip_ws();
    if (!(peek() == '-' && peek(1) == '>')) return fail_expected("'->' between the local and the remote address:port");
    pos_ += 2;
    if (!parse_endpoint(remote)) return false;
    c.local = std::move(local);
    c.remote = std::move(remote);
    skip_ws();
  }
  if (!parse_op(c.op)) return false;
  if (!parse_int(c.value, "count", "an integer count", 0)) return false;
  out.what = std::move(c);
  return true;
}

bool Parser::parse_expect_int(ExpectStep& out) {
  IntExpr lhs;
  if (!parse_int_expr(lhs, "integer", "an integer or integer variable")) return false;
  skip_ws();
  const std::size_t p = pos_;
  if (is_ident_start(peek()) && scan_ident() == "in") {
    ExpectInRange r;
    r.value = std::move(lhs);
    skip_ws();
    const std::size_t low_pos = pos_;
    if (!parse_int(r.low, "integer", "the lower bound of LOW..HIGH")) return false;
    if (!(peek() == '.' && peek(1) == '.')) return fail_expected_at(pos_, "'..' in the range LOW..HIGH");
    pos_ += 2;
    if (!parse_int(r.high, "integer", "the upper bound of LOW..HIGH")) return false;
    if (r.low > r.high) {
      return fail(low_pos,
                  cat("empty range ", num(r.low), "..", num(r.high), ": the lower bound exceeds the upper bound"));
    }
    out.what = std::move(r);
    return true;
  }
  pos_ = p;
  ExpectCompare c;
  c.lhs = std::move(lhs);
  if (!parse_op(c.op)) return false;
  if (!parse_int_expr(c.rhs, "integer", "an integer or integer variable")) return false;
  out.what = std::move(c);
  return true;
}


// ---------------------------------------------------------------------------------------------
// Simulation: `network`, `middlebox` and `workload NAME { ... }` (run by `portlab simulate`)

// The next whitespace-separated word; `at` is where it starts.
std::string_view Parser::next_word(std::size_t& at) {
  skip_ws();
  at = pos_;
  std::size_t q = pos_;
  while (q < line_.size() && !is_space(line_[q])) ++q;
  pos_ = q;
  return line_.substr(at, q - at);
}

// A non-negative decimal number; `percent`: `1.5%` (a fraction 0..1 results); `rate`: an
// optional `/s` suffix.
bool Parser::parse_number(double& out, std::string_view what, bool percent, bool rate) {
  skip_ws();
  const std::size_t p = pos_;
  std::size_t q = p;
  while (q < line_.size() && (is_digit(line_[q]) || line_[q] == '.')) ++q;
  const std::string_view digits = line_.substr(p, q - p);
  if (digits.empty() || !is_digit(digits.front()) || std::count(digits.begin(), digits.end(), '.') > 1 ||
      digits.back() == '.' || digits.size() > 18) {
    return fail_expected_at(p, what);
  }
  std::string text(digits);
  double v = std::strtod(text.c_str(), nullptr);
  if (percent) {
    if (q >= line_.size() || line_[q] != '%') return fail(q, cat("expected '%' after ", quote(digits), " (", what, ")"));
    ++q;
    if (v > 100) return fail(p, cat("percentage ", quote(line_.substr(p, q - p)), " is above 100%"));
    v /= 100;
  }
  if (rate && q + 1 < line_.size() + 1 && line_.substr(q, 2) == "/s") q += 2;
  if (q < line_.size() && !is_space(line_[q]) && line_[q] != '.') return fail_expected_at(p, what);
  out = v;
  pos_ = q;
  return true;
}

bool Parser::parse_address_token(model::IpAddress& out, std::string_view what) {
  std::size_t at = 0;
  const std::string_view w = next_word(at);
  if (w.empty()) return fail_expected_at(at, what);
  auto a = model::IpAddress::parse(w);
  if (!a) return fail(at, cat("bad address ", describe(at), "; expected ", what));
  out = *a;
  return true;
}

// network [latency D] [jitter D] [syn-loss P%] [duplicate P%] [reorder P%] [reorder-delay D]
bool Parser::parse_network(std::size_t start) {
  if (script_.network) {
    return fail(start, cat("duplicate 'network' line (the first is at line ", num(script_.network->loc.line),
                           "); expected one network line with every setting"));
  }
  NetworkDecl n;
  n.loc = loc(start);
  constexpr std::string_view kKeys = "latency, jitter, syn-loss, duplicate, reorder, reorder-delay or interleave";
  bool any = false;
  for (;;) {
    skip_ws();
    if (at_end()) break;
    const std::size_t kp = pos_;
    if (!is_ident_start(peek())) return fail_expected_at(kp, cat("a network setting (", kKeys, ")"));
    std::size_t q = pos_;
    while (q < line_.size() && (is_alnum(line_[q]) || line_[q] == '-' || line_[q] == '_')) ++q;
    const std::string_view key = line_.substr(kp, q - kp);
    pos_ = q;
    bool ok = false;
    if (key == "latency") {
      ok = parse_duration(n.latency, "a duration after 'latency', such as 1ms");
    } else if (key == "jitter") {
      ok = parse_duration(n.jitter, "a duration after 'jitter', such as 200us");
    } else if (key == "reorder-delay") {
      ok = parse_duration(n.reorder_delay, "a duration after 'reorder-delay', such as 5ms");
    } else if (key == "syn-loss") {
      ok = parse_number(n.syn_loss, "a percentage after 'syn-loss', such as 1%", true, false);
    } else if (key == "duplicate") {
      ok = parse_number(n.duplicate, "a percentage after 'duplicate', such as 0.1%", true, false);
    } else if (key == "reorder") {
      ok = parse_number(n.reorder, "a percentage after 'reorder', such as 1%", true, false);
    } else if (key == "interleave") {
      if (any) return fail(kp, "'interleave' excludes the other network settings; expected 'network interleave' alone");
      n.interleave = true;
      any = true;
      skip_ws();
      if (!at_end()) {
        return fail(pos_, cat("unexpected ", describe(pos_),
                              " after 'interleave'; expected end of line ('network interleave' takes no other setting)"));
      }
      break;
    } else if (key == "loss") {
      return fail(kp, "the model retransmits only SYNs, so only SYNs can be lost; expected 'syn-loss P%'");
    } else {
      const std::vector<std::string_view> keys = {"latency", "jitter",        "syn-loss",  "duplicate",
                                                  "reorder", "reorder-delay", "interleave"};
      return fail(kp, cat("unknown network setting ", quote(key), "; expected ", kKeys, suggestion(key, keys)));
    }
    if (!ok) return false;
    any = true;
  }
  if (!any) return fail_expected(cat("a network setting (", kKeys, ") after 'network'"));
  script_.network = n;
  return true;
}

// middlebox drop|reset|delay D [to ADDR[:PORT]] [all] [prob P%] [from D] [until D]
bool Parser::parse_middlebox(std::size_t start) {
  MiddleboxDecl m;
  m.loc = loc(start);
  std::size_t ap = 0;
  const std::string_view action = next_word(ap);
  if (action == "drop") {
    m.action = MiddleboxDecl::Action::drop;
  } else if (action == "reset") {
    m.action = MiddleboxDecl::Action::reset;
  } else if (action == "delay") {
    m.action = MiddleboxDecl::Action::delay;
    if (!parse_duration(m.delay, "a duration after 'delay', such as 200ms")) return false;
  } else {
    return fail_expected_at(ap, "drop, reset or delay after 'middlebox'");
  }
  for (;;) {
    skip_ws();
    if (at_end()) break;
    std::size_t kp = 0;
    const std::string_view key = next_word(kp);
    if (key == "to") {
      std::size_t ep = 0;
      const std::string_view w = next_word(ep);
      if (auto e = model::Endpoint::parse(w)) {
        m.addr = e->addr;
        m.port = e->port;
      } else if (auto a = model::IpAddress::parse(w)) {
        m.addr = *a;
      } else {
        return fail(ep, cat("bad destination ", describe(ep), "; expected ADDR or ADDR:PORT after 'to'"));
      }
    } else if (key == "all") {
      m.syn_only = false;
    } else if (key == "prob") {
      if (!parse_number(m.probability, "a percentage after 'prob', such as 10%", true, false)) return false;
    } else if (key == "from") {
      if (!parse_duration(m.from, "a duration after 'from', such as 10s")) return false;
    } else if (key == "until") {
      model::Duration u{};
      if (!parse_duration(u, "a duration after 'until', such as 20s")) return false;
      m.until = u;
    } else {
      return fail(kp, cat("unknown middlebox setting ", quote(key), "; expected to, all, prob, from or until"));
    }
  }
  if (m.until && *m.until <= m.from) return fail(start, "the middlebox's 'until' must come after its 'from'");
  script_.middleboxes.push_back(m);
  return true;
}

bool Parser::parse_workload_open(std::size_t start) {
  skip_ws();
  const std::size_t np = pos_;
  if (!is_ident_start(peek())) return fail_expected_at(np, "a workload name after 'workload'");
  const std::string_view wname = scan_ident();
  for (const auto& w : script_.workloads) {
    if (w.name == wname) return fail(np, cat("duplicate workload ", quote(wname), " (the first is at line ", num(w.loc.line), ")"));
  }
  skip_ws();
  if (peek() != '{') return fail_expected(cat("'{' after 'workload ", wname, "'"));
  ++pos_;
  if (!expect_line_end("'{'")) return false;
  Workload w;
  w.name = std::string(wname);
  w.loc = loc(start);
  w.lines.push_back(std::string(trim(line_)));
  if (!script_.hosts.empty()) w.client_host = script_.hosts.front().name;
  else w.client_host = "local";
  script_.workloads.push_back(std::move(w));
  in_workload_ = true;
  workload_keys_.clear();
  return true;
}

bool Parser::close_workload(std::size_t start) {
  Workload& w = script_.workloads.back();
  if (w.servers.empty()) {
    return fail(start, cat("workload ", quote(w.name), " has no server; expected a line such as 'server HOST ADDR:PORT' ",
                           "before '}'"));
  }
  if (w.rate_from <= 0 && w.rate_to <= 0) return fail(start, cat("workload ", quote(w.name), " offers no connections: its rate is 0"));
  for (const auto& s : w.servers) {
    if (s.endpoint.addr.family() != w.servers.front().endpoint.addr.family())
      return fail(start, cat("workload ", quote(w.name), " mixes IPv4 and IPv6 servers; expected one family"));
  }
  w.lines.push_back("}");
  in_workload_ = false;
  return true;
}

// One line inside `workload NAME { ... }`. Each key at most once, except `server`.
bool Parser::parse_workload_line(std::size_t start) {
  Workload& w = script_.workloads.back();
  if (peek() == '}') {
    ++pos_;
    if (!expect_line_end("'}'")) return false;
    return close_workload(start);
  }
  constexpr std::string_view kKeys =
      "client, server, source, source-address, option, server-option, close, rate, clients, start, duration, retry, "
      "restart, expect or '}'";
  if (!is_ident_start(peek())) return fail_expected_at(start, cat("a workload setting (", kKeys, ")"));
  std::size_t q = pos_;
  while (q < line_.size() && (is_alnum(line_[q]) || line_[q] == '-' || line_[q] == '_')) ++q;
  const std::string key(line_.substr(start, q - start));
  pos_ = q;
  if (key == "workload") return fail(start, cat("workload ", quote(w.name), " is still open; expected '}' before the next workload"));
  if (key != "server" && key != "expect") {
    auto [it, fresh] = workload_keys_.emplace(key, line_no_);
    if (!fresh) return fail(start, cat("duplicate '", key, "' in workload ", quote(w.name), " (the first is at line ", num(it->second), ")"));
  }
  w.lines.push_back(std::string(trim(line_)));
  if (key == "client") {
    skip_ws();
    const std::size_t hp = pos_;
    if (!is_ident_start(peek())) return fail_expected_at(hp, "a host name after 'client'");
    const std::string_view h = scan_ident();
    if (!check_host(h, hp)) return false;
    w.client_host = std::string(h);
    return expect_line_end("the client host");
  }
  if (key == "server") {
    WorkloadServer s;
    s.loc = loc(start);
    skip_ws();
    const std::size_t hp = pos_;
    if (!is_ident_start(peek())) return fail_expected_at(hp, "a host name after 'server', as in 'server HOST ADDR:PORT'");
    const std::string_view h = scan_ident();
    if (!check_host(h, hp)) return false;
    s.host = std::string(h);
    std::size_t ep = 0;
    const std::string_view e = next_word(ep);
    auto endpoint = model::Endpoint::parse(e);
    if (!endpoint || endpoint->port == 0 || endpoint->addr.is_wildcard()) {
      return fail(ep, cat("bad server endpoint ", describe(ep),
                          "; expected the address and port clients connect to, such as 10.0.0.2:80"));
    }
    s.endpoint = *endpoint;
    skip_ws();
    if (!at_end()) {
      std::size_t bp = 0;
      const std::string_view b = next_word(bp);
      if (b != "backlog") return fail_expected_at(bp, "'backlog N' or end of line after the server endpoint");
      std::int64_t v = 0;
      if (!parse_int(v, "backlog", "a backlog after 'backlog'", 1, 65535)) return false;
      s.backlog = static_cast<int>(v);
      if (!expect_line_end("the backlog")) return false;
    }
    if (w.servers.size() >= 64) return fail(start, "too many servers in one workload: the limit is 64");
    w.servers.push_back(std::move(s));
    return true;
  }
  if (key == "source") {
    std::size_t mp = 0;
    const std::string_view m = next_word(mp);
    if (m == "ephemeral") {
      w.source = SourcePort::ephemeral;
    } else if (m == "fixed") {
      w.source = SourcePort::fixed;
      std::int64_t v = 0;
      if (!parse_int(v, "port", "a port after 'fixed'", 1, 65535)) return false;
      w.fixed_port = static_cast<std::uint16_t>(v);
    } else if (m == "bind0") {
      w.source = SourcePort::bind0;
    } else if (m == "bind-no-port") {
      w.source = SourcePort::bind_no_port;
    } else if (m == "range") {
      w.source = SourcePort::range;
      std::int64_t lo = 0;
      std::int64_t hi = 0;
      if (!parse_int(lo, "port", "the low port of 'range LO-HI'", 1, 65535)) return false;
      if (peek() != '-') return fail_expected(cat("'-' in 'range LO-HI'"));
      ++pos_;
      if (!parse_int(hi, "port", "the high port of 'range LO-HI'", 1, 65535)) return false;
      if (hi < lo) return fail(start, "the range's high port is below its low port");
      w.range = {static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
    } else {
      return fail_expected_at(mp, "ephemeral, fixed PORT, bind0, bind-no-port or range LO-HI after 'source'");
    }
    return expect_line_end("the source");
  }
  if (key == "source-address") {
    do {
      model::IpAddress a;
      if (!parse_address_token(a, "a client address such as 10.0.0.1")) return false;
      w.source_addresses.push_back(a);
      skip_ws();
    } while (!at_end());
    return true;
  }
  if (key == "option" || key == "server-option") {
    auto& opts = key == "option" ? w.options : w.server_options;
    do {
      model::SockOpt o{};
      if (!parse_opt_name(o)) return false;
      if (model::kind(o) != model::OptKind::integer) {
        return fail(start, cat("'", key, "' takes on/off options such as SO_REUSEADDR; ", model::name(o), " needs a value"));
      }
      opts.push_back(o);
      skip_ws();
    } while (!at_end());
    return true;
  }
  if (key == "close") {
    std::size_t cp = 0;
    const std::string_view c = next_word(cp);
    if (c == "client-first") w.close = CloseStyle::client_first;
    else if (c == "server-first") w.close = CloseStyle::server_first;
    else if (c == "linger0") w.close = CloseStyle::linger0;
    else if (c == "shutdown-linger0") w.close = CloseStyle::shutdown_linger0;
    else return fail_expected_at(cp, "client-first, server-first, linger0 or shutdown-linger0 after 'close'");
    return expect_line_end("the close style");
  }
  if (key == "rate") {
    if (!parse_number(w.rate_from, "a rate such as 500/s", false, true)) return false;
    w.rate_to = w.rate_from;
    if (line_.substr(pos_, 2) == "..") {
      pos_ += 2;
      if (!parse_number(w.rate_to, "the end rate of a ramp, such as 100/s..2000/s", false, true)) return false;
    }
    if (w.rate_from > 1e7 || w.rate_to > 1e7) return fail(start, "rate above the limit of 10000000/s");
    return expect_line_end("the rate");
  }
  if (key == "clients") {
    std::int64_t v = 0;
    if (!parse_int(v, "client count", "a number of clients (1..4096)", 1, 4096)) return false;
    w.clients = static_cast<int>(v);
    return expect_line_end("the client count");
  }
  if (key == "start") {
    if (!parse_duration(w.start, "a duration after 'start', such as 5s")) return false;
    return expect_line_end("the start time");
  }
  if (key == "duration") {
    if (!parse_duration(w.duration, "a duration after 'duration', such as 60s")) return false;
    if (w.duration <= model::Duration::zero()) return fail(start, "the duration must be positive");
    return expect_line_end("the duration");
  }
  if (key == "retry") {
    std::size_t rp = 0;
    const std::string_view r = next_word(rp);
    if (r == "none") {
      w.retry = RetryPolicy::none;
    } else if (r == "fixed") {
      w.retry = RetryPolicy::fixed;
      if (!parse_duration(w.retry_delay, "a delay after 'fixed', such as 100ms")) return false;
    } else if (r == "backoff") {
      w.retry = RetryPolicy::backoff;
      if (!parse_duration(w.retry_delay, "an initial delay after 'backoff', such as 10ms")) return false;
      std::size_t mp = 0;
      const std::string_view m = next_word(mp);
      if (m != "max") return fail_expected_at(mp, "'max D' after the initial delay, as in 'retry backoff 10ms max 5s'");
      if (!parse_duration(w.retry_max, "a duration after 'max', such as 5s")) return false;
      if (w.retry_max < w.retry_delay) return fail(mp, "the backoff maximum is below its initial delay");
    } else {
      return fail_expected_at(rp, "none, fixed D or backoff D max D after 'retry'");
    }
    return expect_line_end("the retry policy");
  }
  if (key == "restart") {
    std::size_t ep = 0;
    if (next_word(ep) != "every") return fail_expected_at(ep, "'every D down D' after 'restart'");
    if (!parse_duration(w.restart_every, "a period after 'every', such as 30s")) return false;
    std::size_t dp = 0;
    if (next_word(dp) != "down") return fail_expected_at(dp, "'down D' after the restart period");
    if (!parse_duration(w.restart_down, "a downtime after 'down', such as 2s")) return false;
    if (w.restart_every <= model::Duration::zero() || w.restart_down >= w.restart_every)
      return fail(start, "expected a positive restart period longer than the downtime");
    return expect_line_end("the restart");
  }
  if (key == "expect") return parse_workload_expect(start, w);
  const std::vector<std::string_view> keys = {"client", "server", "source", "source-address", "option", "server-option",
                                              "close", "rate", "clients", "start", "duration", "retry", "restart",
                                              "expect"};
  return fail(start, cat("unknown workload setting ", quote(key), "; expected ", kKeys, suggestion(key, keys)));
}

// expect METRIC [CALL [ERRNO]] OP VALUE [@OS,...]
bool Parser::parse_workload_expect(std::size_t start, Workload& w) {
  WorkloadExpect e;
  e.loc = loc(start);
  e.text = std::string(trim(line_));
  static const std::vector<std::string_view> kMetrics = {
      "attempts", "successes", "failures", "rate", "time_wait_peak", "fin_wait2_peak", "first_failure",
      "stalls", "latency_p50", "latency_p99", "blocked_for"};
  skip_ws();
  const std::size_t mp = pos_;
  if (!is_ident_start(peek())) return fail_expected_at(mp, cat("a metric (", join(kMetrics), ")"));
  const std::string_view m = scan_ident();
  if (std::find(kMetrics.begin(), kMetrics.end(), m) == kMetrics.end())
    return fail(mp, cat("unknown metric ", quote(m), "; expected one of ", join(kMetrics), suggestion(m, kMetrics)));
  e.metric = std::string(m);
  if (m == "failures") {
    skip_ws();
    if (is_ident_start(peek())) {
      const std::size_t cp = pos_;
      const std::string_view c = scan_ident();
      auto k = call_from_name(c);
      if (!k) return fail(cp, cat("unknown call ", quote(c), " after 'failures'; expected a call such as connect or bind"));
      e.call = *k;
      skip_ws();
      if (is_ident_start(peek())) {
        const std::size_t ep = pos_;
        const std::string_view en = scan_ident();
        auto er = model::errno_from_name(en);
        if (!er) return fail(ep, cat("unknown errno ", quote(en), "; expected a name such as EADDRNOTAVAIL"));
        e.err = *er;
      }
    }
  }
  if (!parse_op(e.op)) return false;
  e.is_duration = m == "first_failure" || m == "latency_p50" || m == "latency_p99" || m == "blocked_for";
  if (e.is_duration) {
    model::Duration d{};
    if (!parse_duration(d, cat("a duration for ", m, ", such as 60s"))) return false;
    e.value = static_cast<double>(d.count());
  } else {
    if (!parse_number(e.value, cat("a number for ", m), false, m == "rate")) return false;
  }
  skip_ws();
  if (peek() == '@') {
    ++pos_;
    if (!parse_os_names(e.os, "'@'")) return false;
  }
  if (!expect_line_end("the expectation")) return false;
  if (w.expects.size() >= 1000) return fail(start, "too many expectations in one workload: the limit is 1000");
  w.expects.push_back(std::move(e));
  return true;
}

// ---------------------------------------------------------------------------------------------
// Blocks and properties (`portlab explore`)
//
//   process NAME [on HOST] {     one thread of control; top level only
//   loop N {                     inside a process: the body N times (0..kMaxLoopCount)
//   choose {                     inside a process: the process picks one branch
//   } or {                       next branch of the innermost choose
//   }                            closes the innermost block
//   always EXPR / never EXPR     EXPR is the body of an `expect` line; top level only

constexpr std::int64_t kMaxLoopCount = 1000;
constexpr std::size_t kMaxBlockDepth = 16;
constexpr std::size_t kMaxProcesses = 16;

void Parser::push_block(OpenBlock::Kind kind, std::size_t start, std::size_t op) {
  OpenBlock b;
  b.kind = kind;
  b.op = op;
  b.loc = loc(start);
  b.line = sanitize(raw_line_);
  blocks_.push_back(std::move(b));
}

bool Parser::expect_open_brace(std::string_view after) {
  skip_ws();
  if (peek() != '{') return fail_expected(cat("'{' at the end of the line after ", after));
  ++pos_;
  skip_ws();
  if (!at_end()) {
    return fail(pos_, cat("unexpected ", describe(pos_),
                          " after '{'; expected end of line (each step goes on a line of its own)"));
  }
  return true;
}

// A step in a process `on HOST` runs on HOST: no prefix, or that one.
bool Parser::process_host(std::optional<std::string>& host, std::size_t start) {
  if (!proc_ || !proc_->host) return true;
  if (!host) {
    host = *proc_->host;
    return true;
  }
  if (*host == *proc_->host) return true;
  return fail(start, cat("process ", quote(proc_->name), " runs on host ", quote(*proc_->host),
                         "; expected no host prefix or ", quote(cat(*proc_->host, ":"))));
}

bool Parser::parse_process(std::size_t start) {
  if (proc_) {
    return fail(start, cat("'process' inside process ", quote(proc_->name),
                           "; expected process blocks at the top level only"));
  }
  if (script_.processes.size() >= kMaxProcesses)
    return fail(start, cat("too many processes: the limit is ", num(kMaxProcesses)));
  if (!begin_step(start)) return false;
  --step_count_;  // a block is not a step
  skip_ws();
  const std::size_t name_pos = pos_;
  if (!is_ident_start(peek())) return fail_expected("a process name after 'process'");
  const std::string_view name = scan_ident();
  if (name == "main") {
    return fail(name_pos, "'main' names the steps outside the process blocks; expected another process name");
  }
  for (const auto& p : script_.processes) {
    if (p.name == name) {
      return fail(name_pos, cat("duplicate process ", quote(name), " (first declared at line ", num(p.loc.line), ")"));
    }
  }
  Process proc;
  proc.name = std::string(name);
  proc.loc = loc(name_pos);
  skip_ws();
  const std::size_t on_pos = pos_;
  if (is_ident_start(peek())) {
    const std::string_view w = scan_ident();
    if (w != "on") return fail_expected_at(on_pos, "'on HOST' or '{' after the process name");
    skip_ws();
    const std::size_t host_pos = pos_;
    if (!is_ident_start(peek())) return fail_expected("a host name after 'on'");
    const std::string_view host = scan_ident();
    if (!check_host(host, host_pos)) return false;
    proc.host = std::string(host);
  }
  if (!expect_open_brace(cat("process ", quote(name)))) return false;
  if (script_.processes.empty()) script_.steps_before_processes = script_.steps.size();
  script_.processes.push_back(std::move(proc));
  proc_ = &script_.processes.back();
  push_block(OpenBlock::Kind::process, start, 0);
  return true;
}

bool Parser::parse_loop(std::size_t start) {
  if (!proc_) return fail(start, "'loop' outside a process block; expected it inside 'process NAME { ... }'");
  if (blocks_.size() >= kMaxBlockDepth)
    return fail(start, cat("blocks nested too deeply: the limit is ", num(kMaxBlockDepth)));
  skip_ws();
  std::int64_t n = 0;
  if (!parse_int(n, "loop count", cat("a loop count 0..", num(kMaxLoopCount), " after 'loop'"), 0, kMaxLoopCount))
    return false;
  if (!expect_open_brace(cat("'loop ", num(n), "'"))) return false;
  ProcessOp op;
  op.kind = ProcessOp::Kind::loop_enter;
  op.count = n;
  op.loc = loc(start);
  code().push_back(std::move(op));
  push_block(OpenBlock::Kind::loop, start, code().size() - 1);
  return true;
}

bool Parser::parse_choose(std::size_t start) {
  if (!proc_) return fail(start, "'choose' outside a process block; expected it inside 'process NAME { ... }'");
  if (blocks_.size() >= kMaxBlockDepth)
    return fail(start, cat("blocks nested too deeply: the limit is ", num(kMaxBlockDepth)));
  if (!expect_open_brace("'choose'")) return false;
  ProcessOp op;
  op.kind = ProcessOp::Kind::choose;
  op.loc = loc(start);
  op.branches.push_back(code().size() + 1);
  code().push_back(std::move(op));
  push_block(OpenBlock::Kind::choose, start, code().size() - 1);
  return true;
}

// `}` or `} or {`.
bool Parser::parse_close_brace(std::size_t start) {
  if (blocks_.empty()) return fail(start, "unexpected '}': no process, loop or choose block is open");
  ++pos_;
  skip_ws();
  OpenBlock& b = blocks_.back();
  if (!at_end()) {
    const std::size_t p = pos_;
    if (!(is_ident_start(peek()) && scan_ident() == "or")) {
      return fail_expected_at(p, b.kind == OpenBlock::Kind::choose ? "end of line or 'or {' after '}'"
                                                                    : "end of line after '}'");
    }
    if (b.kind != OpenBlock::Kind::choose) {
      return fail(p, cat("'} or {' closes a ", b.kind == OpenBlock::Kind::loop ? "loop" : "process",
                         " block (opened at line ", num(b.loc.line), "); expected it only inside 'choose { ... }'"));
    }
    if (!expect_open_brace("'} or'")) return false;
    ProcessOp jump;
    jump.kind = ProcessOp::Kind::jump;
    jump.loc = loc(start);
    code().push_back(std::move(jump));
    b.jumps.push_back(code().size() - 1);
    code()[b.op].branches.push_back(code().size());
    return true;
  }
  switch (b.kind) {
    case OpenBlock::Kind::process:
      proc_ = nullptr;
      break;
    case OpenBlock::Kind::loop: {
      ProcessOp next;
      next.kind = ProcessOp::Kind::loop_next;
      next.target = b.op + 1;
      next.loc = loc(start);
      code().push_back(std::move(next));
      code()[b.op].target = code().size();
      break;
    }
    case OpenBlock::Kind::choose: {
      if (code()[b.op].branches.size() < 2) {
        return fail(start, cat("'choose' (line ", num(b.loc.line),
                               ") has one branch; expected '} or {' and at least one more branch"));
      }
      for (std::size_t j : b.jumps) code()[j].target = code().size();
      break;
    }
  }
  blocks_.pop_back();
  return true;
}

bool Parser::parse_property(std::size_t start, bool never) {
  if (proc_) {
    return fail(start, cat("'", never ? "never" : "always", "' inside process ", quote(proc_->name),
                           "; expected properties at the top level (they hold in every state)"));
  }
  if (!begin_step(start)) return false;
  --step_count_;
  // `never [HOST:] CALL(VAR) = ...`: a name followed by '(' (after an optional `HOST:`).
  skip_ws();
  const std::size_t body = pos_;
  if (is_ident_start(peek())) {
    std::optional<std::string> host;
    std::size_t name_pos = pos_;
    std::string_view w = scan_ident();
    skip_ws();
    if (peek() == ':') {
      host = std::string(w);
      ++pos_;
      skip_ws();
      name_pos = pos_;
      w = is_ident_start(peek()) ? scan_ident() : std::string_view{};
      skip_ws();
    }
    if (!w.empty() && peek() == '(') {
      if (host && !check_host(*host, body)) return false;
      pos_ = name_pos;
      return parse_call_property(start, never, std::move(host), name_pos);
    }
    pos_ = body;
  }
  in_property_ = true;
  property_never_ = never;
  const bool ok = parse_expect(start);
  in_property_ = false;
  return ok;
}

// never|always [HOST:] CALL(VAR) = RESULT [| RESULT]... [@OS,...], at CALL.
bool Parser::parse_call_property(std::size_t start, bool never, std::optional<std::string> host, std::size_t name_pos) {
  const std::string_view keyword = never ? "never" : "always";
  const std::string_view call_name = scan_ident();
  const auto kind = call_from_name(call_name);
  if (!kind) {
    const auto names = call_names();
    return fail(name_pos, cat("unknown call ", quote(call_name), "; expected one of ", join(names),
                              suggestion(call_name, names)));
  }
  if (*kind == CallKind::socket || *kind == CallKind::port) {
    return fail(name_pos, cat("'", keyword, " ", call_name, "(...)': a call property names a call on a socket variable, "
                              "such as '", keyword, " connect(c) = -1 EADDRNOTAVAIL'; ", call_name,
                              "() takes no socket variable"));
  }
  if (several_hosts() && !host) {
    // Not needed to find the socket (a variable lives on one host), but kept as for every other
    // step: a script with several hosts says where each call runs.
    return fail(name_pos, cat("this script has several hosts; prefix the call with 'HOST:' (", keyword, " HOST: ",
                              call_name, "(VAR) = ...)"));
  }
  CallProperty cp;
  cp.host = std::move(host);
  cp.call = *kind;
  skip_ws();
  ++pos_;  // '('
  if (!parse_var(cp.sock, VarType::socket,
                 cat("a socket variable in ", quote(cat(call_name, "(")), " (a call property names the socket only)")))
    return false;
  skip_ws();
  if (peek() != ')') {
    return fail_expected(cat("')' after the socket variable; a call property names the call and its socket only, e.g. '",
                             keyword, " ", call_name, "(", cp.sock.name, ") = -1 EADDRNOTAVAIL'"));
  }
  ++pos_;
  skip_ws();
  if (!(peek() == '=' && peek(1) != '=')) {
    return fail_expected(cat("'= RESULT' after ", quote(cat(call_name, "(", cp.sock.name, ")")),
                             " (-1 ERRNO, -1 for any error, or a value)"));
  }
  Call call;
  call.kind = *kind;
  Expectation& e = cp.results;
  e.loc = loc(pos_);
  ++pos_;  // '='
  if (!parse_alternatives(call, e, true, "'='")) return false;
  if (peek() == '@') {
    ++pos_;
    if (!parse_os_names(e.os, "'@'")) return false;
    if (!expect_line_end("the OS names")) return false;
  }
  skip_ws();
  if (!at_end()) {
    return fail(pos_, cat("unexpected ", describe(pos_),
                          " after the property's result; expected '|' and another result, '@OS,...', or end of line"));
  }
  Step s;
  s.body = WaitStep{};
  s.loc = loc(start);
  s.text = std::string(trim(line_));
  script_.properties.push_back(Property{never, std::move(s), std::move(cp)});
  return true;
}

// deliver SRC -> DST, drop SRC -> DST
bool Parser::parse_deliver(std::size_t start, bool drop) {
  DeliverStep d;
  d.drop = drop;
  skip_ws();
  if (!looks_like_endpoint(pos_)) {
    return fail_expected(cat("the flow 'SRC -> DST' after '", drop ? "drop" : "deliver", "' (two address:port)"));
  }
  if (!parse_endpoint(d.src)) return false;
  skip_ws();
  if (!(peek() == '-' && peek(1) == '>')) return fail_expected("'->' between the source and the destination address:port");
  pos_ += 2;
  skip_ws();
  if (!parse_endpoint(d.dst)) return false;
  if (!expect_line_end("the flow")) return false;
  add_step(start, std::move(d));
  return true;
}

std::optional<Diagnostic> Parser::unclosed_block() const {
  if (blocks_.empty()) return std::nullopt;
  const OpenBlock& b = blocks_.back();
  const char* what = b.kind == OpenBlock::Kind::process ? "process" : b.kind == OpenBlock::Kind::loop ? "loop" : "choose";
  Diagnostic d;
  d.file = file_;
  d.loc = b.loc;
  d.message = cat("'", what, "' block is not closed; expected '}' on a line of its own before the end of the file");
  d.source_line = b.line;
  return d;
}

}  // namespace

ParseResult parse_script(std::string_view text, std::string file) {
  Parser parser(text, std::move(file));
  return parser.run();
}

}  // namespace portlab::sim::script
