// The explorer's search core (Google Benchmark): states stored per second and bytes per stored
// state. Run:
//   ./build/bench/explore_bench --benchmark_out=explore_bench.json --benchmark_out_format=json
//
// BM_BindTable is the comparison model, the counterpart of a Promela model for SPIN: a
// bind table of N sockets (2..5) x 3 local ports x 2 destinations, with SO_REUSEADDR, bind,
// connect, graceful close (which leaves TIME-WAIT on the 4-tuple) and linger-0 close (which does
// not), TIME-WAIT expiry as a nondeterministic timer, and 4-tuple uniqueness as the invariant
// checked in every state. States are packed into 64 bits and searched breadth-first with the
// visited set `portlab explore` uses (sim/fingerprint_set.h). With symmetry reduction, a state is
// replaced by the least of its images under every permutation of the sockets, of the ports and of
// the destinations.
//
// BM_ExploreScript is `portlab explore` itself (sim/explore.h) on example scripts: full host
// models, copied per successor, so far slower per state.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "model/profiles.h"
#include "sim/explore.h"
#include "sim/fingerprint_set.h"
#include "sim/script/parser.h"

namespace {

// ---- The bind-table model ----------------------------------------------------------------------

constexpr int kPorts = 3;
constexpr int kDsts = 2;

// One socket in one byte: bits 0-1 kind, 2-3 port, 4 destination, 5 SO_REUSEADDR.
enum Kind : std::uint8_t { kClosed = 0, kBound = 1, kConnected = 2 };
constexpr std::uint8_t sock_byte(Kind k, int port, int dst, bool reuse) {
  return static_cast<std::uint8_t>(k | (port << 2) | (dst << 4) | (reuse << 5));
}
constexpr Kind kind(std::uint8_t b) { return static_cast<Kind>(b & 3); }
constexpr int port(std::uint8_t b) { return (b >> 2) & 3; }
constexpr int dst(std::uint8_t b) { return (b >> 4) & 1; }
constexpr bool reuse(std::uint8_t b) { return (b >> 5) & 1; }

// A state: socket i in byte i (i < n), the TIME-WAIT 4-tuples as bits port*2+dst of byte 7.
struct BindTable {
  int n = 3;
  bool symmetry = true;

  std::uint8_t sock(std::uint64_t s, int i) const { return static_cast<std::uint8_t>(s >> (8 * i)); }
  static std::uint64_t with_sock(std::uint64_t s, int i, std::uint8_t b) {
    return (s & ~(0xffull << (8 * i))) | (std::uint64_t{b} << (8 * i));
  }
  static std::uint8_t tw(std::uint64_t s) { return static_cast<std::uint8_t>(s >> 56); }
  static std::uint64_t with_tw(std::uint64_t s, std::uint8_t t) {
    return (s & 0x00ffffffffffffffull) | (std::uint64_t{t} << 56);
  }

  // Linux-like rules: a bind conflicts with another socket bound (or connected) on the port
  // unless both set SO_REUSEADDR, and with a TIME-WAIT on the port unless the binder set it; a
  // connect fails when its 4-tuple is in use (another connection or a TIME-WAIT: timestamps off).
  bool bind_ok(std::uint64_t s, int self, int p) const {
    const bool r = reuse(sock(s, self));
    for (int j = 0; j < n; ++j) {
      const std::uint8_t o = sock(s, j);
      if (j == self || kind(o) == kClosed || port(o) != p) continue;
      if (!(r && reuse(o))) return false;
    }
    const std::uint8_t t = tw(s);
    if (!r && (t & (3u << (2 * p)))) return false;
    return true;
  }
  bool tuple_free(std::uint64_t s, int self, int p, int d) const {
    for (int j = 0; j < n; ++j) {
      const std::uint8_t o = sock(s, j);
      if (j != self && kind(o) == kConnected && port(o) == p && dst(o) == d) return false;
    }
    return !(tw(s) & (1u << (2 * p + d)));
  }
  // The invariant: no 4-tuple held twice (two connections, or a connection and a TIME-WAIT).
  bool invariant(std::uint64_t s) const {
    unsigned held = tw(s);
    for (int j = 0; j < n; ++j) {
      const std::uint8_t o = sock(s, j);
      if (kind(o) != kConnected) continue;
      const unsigned bit = 1u << (2 * port(o) + dst(o));
      if (held & bit) return false;
      held |= bit;
    }
    return true;
  }

  // The symmetries: the 3! permutations of the ports times the 2 of the destinations, each as a
  // table from socket byte to socket byte and from TIME-WAIT bits to TIME-WAIT bits.
  struct Symmetry {
    std::array<std::uint8_t, 64> sock{};
    std::array<std::uint8_t, 64> tw{};
  };
  static const std::array<Symmetry, 12>& symmetries() {
    static const auto table = [] {
      static constexpr std::array<std::array<int, 3>, 6> perms{
          {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};
      std::array<Symmetry, 12> out{};
      std::size_t k = 0;
      for (const auto& pp : perms) {
        for (int dflip = 0; dflip < kDsts; ++dflip, ++k) {
          for (int x = 0; x < 64; ++x) {
            const auto b = static_cast<std::uint8_t>(x);
            // An unbound socket carries no port or destination, a bound one no destination; port 3
            // is never used.
            out[k].sock[b] = kind(b) == kClosed || port(b) >= kPorts
                                 ? b
                                 : sock_byte(kind(b), pp[static_cast<std::size_t>(port(b))],
                                             kind(b) == kConnected ? dst(b) ^ dflip : dst(b), reuse(b));
            std::uint8_t t = 0;
            for (int p = 0; p < kPorts; ++p)
              for (int d = 0; d < kDsts; ++d)
                if (x & (1 << (2 * p + d)))
                  t |= static_cast<std::uint8_t>(1u << (2 * pp[static_cast<std::size_t>(p)] + (d ^ dflip)));
            out[k].tw[b] = t;
          }
        }
      }
      return out;
    }();
    return table;
  }

  // An image depends only on where the symmetry sends the ports (and destinations) the state
  // uses: for each (used ports, destinations used) the symmetries with distinct such restrictions.
  static const std::array<std::vector<std::uint8_t>, 16>& distinct_symmetries() {
    static const auto table = [] {
      static constexpr std::array<std::array<int, 3>, 6> perms{
          {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};
      std::array<std::vector<std::uint8_t>, 16> out;
      for (unsigned key = 0; key < 16; ++key) {
        const unsigned ports = key & 7;
        const bool dsts = key & 8;
        std::vector<unsigned> seen;
        for (unsigned k = 0; k < 12; ++k) {
          unsigned restriction = dsts ? (k & 1) : 0;
          for (unsigned p = 0; p < 3; ++p)
            if (ports & (1u << p)) restriction |= static_cast<unsigned>(perms[k / 2][p] + 1) << (2 + 2 * p);
          if (std::find(seen.begin(), seen.end(), restriction) != seen.end()) continue;
          seen.push_back(restriction);
          out[key].push_back(static_cast<std::uint8_t>(k));
        }
      }
      return out;
    }();
    return table;
  }

  // The least image of `s` under the symmetries (sockets, ports, destinations).
  std::uint64_t canon(std::uint64_t s) const {
    if (!symmetry) return s;
    std::uint64_t best = ~0ull;
    const std::uint8_t t = tw(s);
    unsigned key = 0;
    for (int p = 0; p < kPorts; ++p)
      if (t & (3u << (2 * p))) key |= (1u << p) | 8u;
    for (int i = 0; i < n; ++i) {
      const std::uint8_t x = sock(s, i);
      if (kind(x) != kClosed) key |= 1u << port(x);
      if (kind(x) == kConnected) key |= 8u;
    }
    const auto& all = symmetries();
    for (std::uint8_t k : distinct_symmetries()[key]) {
      const Symmetry& sym = all[k];
      // The TIME-WAIT byte is the most significant: an image whose TIME-WAIT byte is larger than
      // the best one's cannot be less.
      const std::uint64_t top = std::uint64_t{sym.tw[t]} << 56;
      if (top > best) continue;
      std::array<std::uint8_t, 8> b{};
      for (int i = 0; i < n; ++i) {
        // Insertion sort as we go: the sockets are interchangeable.
        std::uint8_t v = sym.sock[sock(s, i)];
        int j = i;
        for (; j > 0 && b[static_cast<std::size_t>(j - 1)] > v; --j) b[static_cast<std::size_t>(j)] = b[static_cast<std::size_t>(j - 1)];
        b[static_cast<std::size_t>(j)] = v;
      }
      b[7] = sym.tw[t];
      std::uint64_t img;
      std::memcpy(&img, b.data(), 8);
      best = std::min(best, img);
    }
    return best;
  }

  template <class Emit>
  void successors(std::uint64_t s, Emit&& emit) const {
    for (int i = 0; i < n; ++i) {
      const std::uint8_t x = sock(s, i);
      switch (kind(x)) {
        case kClosed:
          if (!reuse(x)) emit(with_sock(s, i, sock_byte(kClosed, 0, 0, true)));  // setsockopt(SO_REUSEADDR, 1)
          for (int p = 0; p < kPorts; ++p)
            if (bind_ok(s, i, p)) emit(with_sock(s, i, sock_byte(kBound, p, 0, reuse(x))));
          break;
        case kBound:
          for (int d = 0; d < kDsts; ++d)
            if (tuple_free(s, i, port(x), d)) emit(with_sock(s, i, sock_byte(kConnected, port(x), d, reuse(x))));
          emit(with_sock(s, i, sock_byte(kClosed, 0, 0, false)));  // close() of a bound socket
          break;
        case kConnected: {
          const std::uint64_t closed = with_sock(s, i, sock_byte(kClosed, 0, 0, false));
          emit(with_tw(closed, static_cast<std::uint8_t>(tw(s) | (1u << (2 * port(x) + dst(x))))));  // graceful
          emit(closed);                                                                                   // linger 0
          break;
        }
      }
    }
    for (int b = 0; b < 2 * kPorts; ++b)  // a TIME-WAIT expires
      if (tw(s) & (1u << b)) emit(with_tw(s, static_cast<std::uint8_t>(tw(s) & ~(1u << b))));
  }
};

struct SearchResult {
  std::uint64_t states = 0;
  std::uint64_t transitions = 0;
  std::size_t visited_bytes = 0;
  bool invariant_held = true;
};

// Breadth-first search over canonical states with hash compaction (the state fits in 64 bits, and
// fingerprint_mix is a bijection, so here no state can be omitted).
SearchResult bfs(const BindTable& m) {
  portlab::sim::FingerprintSet visited;
  std::vector<std::uint64_t> frontier{m.canon(0)}, next;
  visited.insert(portlab::sim::fingerprint_mix(frontier[0]));
  SearchResult r;
  while (!frontier.empty()) {
    next.clear();
    for (std::uint64_t s : frontier) {
      m.successors(s, [&](std::uint64_t t) {
        ++r.transitions;
        const std::uint64_t c = m.canon(t);
        if (visited.insert(portlab::sim::fingerprint_mix(c))) {
          r.invariant_held = r.invariant_held && m.invariant(c);
          next.push_back(c);
        }
      });
    }
    frontier.swap(next);
  }
  r.states = visited.size();
  r.visited_bytes = visited.bytes();
  return r;
}

// Every reachable state without reduction, as a plain set (for checking the reduction).
std::unordered_set<std::uint64_t> reachable(BindTable m) {
  m.symmetry = false;
  std::unordered_set<std::uint64_t> seen{0};
  std::vector<std::uint64_t> todo{0};
  while (!todo.empty()) {
    const std::uint64_t s = todo.back();
    todo.pop_back();
    m.successors(s, [&](std::uint64_t t) {
      if (seen.insert(t).second) todo.push_back(t);
    });
  }
  return seen;
}

// Args: sockets, symmetry (0/1).
void BM_BindTable(benchmark::State& state) {
  BindTable m;
  m.n = static_cast<int>(state.range(0));
  m.symmetry = state.range(1) != 0;
  SearchResult r;
  for (auto _ : state) {
    r = bfs(m);
    benchmark::DoNotOptimize(r);
  }
  if (!r.invariant_held) state.SkipWithError("4-tuple uniqueness violated");
  // The reduction is exact: one stored state per orbit of the reachable states (checked up to 4
  // sockets, outside the timed loop).
  if (m.symmetry && m.n <= 4) {
    std::unordered_set<std::uint64_t> orbits;
    for (std::uint64_t s : reachable(m)) orbits.insert(m.canon(s));
    if (orbits.size() != r.states) state.SkipWithError("symmetry reduction: states differ from the orbits");
    state.counters["orbits_checked"] = static_cast<double>(orbits.size());
  }
  state.counters["states"] = static_cast<double>(r.states);
  state.counters["transitions"] = static_cast<double>(r.transitions);
  state.counters["states_per_s"] =
      benchmark::Counter(static_cast<double>(r.states), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_state"] = static_cast<double>(r.visited_bytes) / static_cast<double>(r.states);
}
BENCHMARK(BM_BindTable)
    ->ArgNames({"sockets", "symmetry"})
    ->ArgsProduct({{2, 3, 4, 5}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// ---- `portlab explore` on example scripts ----------------------------------------------------

const portlab::model::Profile* profile(std::string_view name) {
  for (const auto* p : portlab::model::all_profiles())
    if (p->name == name) return p;
  return nullptr;
}

void BM_ExploreScript(benchmark::State& state, const char* file, const char* os) {
  std::ifstream f(std::string(PORTLAB_SOURCE_DIR) + "/examples/" + file);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  auto parsed = portlab::sim::script::parse_script(text, file);
  if (!parsed.script) {
    state.SkipWithError("parse error");
    return;
  }
  portlab::sim::ExploreOptions o;
  o.profile = profile(os);
  portlab::sim::ExploreReport r;
  for (auto _ : state) {
    auto run = portlab::sim::run_explore(*parsed.script, text, o);
    r = std::move(*run.report);
  }
  state.counters["states"] = static_cast<double>(r.stats.states);
  state.counters["states_per_s"] =
      benchmark::Counter(static_cast<double>(r.stats.states), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes_per_state"] = r.stats.bytes_per_state;
}
BENCHMARK_CAPTURE(BM_ExploreScript, ice_tcp_redial_linux, "ice-tcp-redial.pls", "linux")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ExploreScript, linger0_safe_linux, "explore-linger0-safe.pls", "linux")
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
