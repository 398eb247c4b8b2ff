// Native reference timings for benchmarks/s2/run.sh: Debian's libs2 (s2geometry C++).
// Usage: s2_native POINTS_FILE [NAME...]   (lines: "lat lng" in degrees; NAMEs pick measurements,
// e.g. for `valgrind --tool=callgrind`; all of them by default)
// Prints one "name ns_per_op" line per measurement, on the same workloads as s2-bench.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "s2/s2cell_id.h"
#include "s2/s2latlng.h"
#include "s2/s2loop.h"
#include "s2/s2polygon.h"
#include "s2/s2region_coverer.h"

#include <time.h>

// This thread's CPU time in ns: unlike wall time, it does not count the time other processes
// on a shared machine hold the core (s2-bench measures the same way).
static double Now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int g_argc;
static char** g_argv;

// True when measurement `name` was named on the command line, or none was.
static bool Selected(const char* name) {
  if (g_argc <= 2) return true;
  for (int i = 2; i < g_argc; ++i)
    if (std::strcmp(g_argv[i], name) == 0) return true;
  return false;
}

template <typename F>
double Measure(size_t ops, F body, int rounds = 25);

// Runs measurement `name` (ops operations per call of body) and prints it, when selected.
template <typename F>
void Report(const char* name, size_t ops, F body) {
  if (!Selected(name)) return;
  std::printf("%s %.2f\n", name, Measure(ops, body));
}

template <typename F>
double Measure(size_t ops, F body, int rounds) {
  double best = 1e300;
  uint64_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    double t0 = Now();
    sink += body();
    double ns = Now() - t0;
    best = std::min(best, ns / ops);
  }
  if (sink == 42) std::printf("\n");
  return best;
}

// The benchmark polygon: a 12-point star of radius 0.5°/0.35° around (37.7, -122.4).
std::unique_ptr<S2Polygon> Star() {
  std::vector<S2Point> pts;
  for (int i = 0; i < 12; ++i) {
    double a = i * M_PI / 6, r = i % 2 == 0 ? 0.5 : 0.35;
    pts.push_back(S2LatLng::FromDegrees(37.7 + r * std::sin(a), -122.4 + r * std::cos(a)).ToPoint());
  }
  auto loop = std::make_unique<S2Loop>(pts);
  loop->Normalize();
  return std::make_unique<S2Polygon>(std::move(loop));
}

int main(int argc, char** argv) {
  g_argc = argc;
  g_argv = argv;
  const char* path = argc > 1 ? argv[1] : "benchmarks/out/s2-points.txt";
  FILE* f = std::fopen(path, "r");
  if (!f) { std::printf("cannot open %s\n", path); return 1; }
  std::vector<double> lat, lng;
  double a, b;
  while (lat.size() < 200000 && std::fscanf(f, "%lf %lf", &a, &b) == 2) { lat.push_back(a); lng.push_back(b); }
  std::fclose(f);
  const size_t n = lat.size();

  Report("latlng_to_cell_leaf", n, [&] {
    uint64_t acc = 0;
    for (size_t i = 0; i < n; ++i) acc += S2CellId(S2LatLng::FromDegrees(lat[i], lng[i])).id();
    return acc;
  });
  Report("latlng_to_cell_level12", n, [&] {
    uint64_t acc = 0;
    for (size_t i = 0; i < n; ++i) acc += S2CellId(S2LatLng::FromDegrees(lat[i], lng[i])).parent(12).id();
    return acc;
  });
  std::vector<S2CellId> cells;
  for (size_t i = 0; i < n; ++i) cells.push_back(S2CellId(S2LatLng::FromDegrees(lat[i], lng[i])).parent(12));
  Report("cell_to_token", n, [&] {
    uint64_t acc = 0;
    for (const auto& c : cells) acc += c.ToToken().size();
    return acc;
  });
  Report("cell_edge_neighbors", n, [&] {
    uint64_t acc = 0;
    S2CellId nb[4];
    for (const auto& c : cells) { c.GetEdgeNeighbors(nb); acc += nb[0].id(); }
    return acc;
  });

  auto star = Star();
  struct Case { const char* name; int min, max, cells; };
  for (Case c : {Case{"cover_star_8cells", 4, 16, 8}, Case{"cover_star_200cells", 4, 16, 200}}) {
    S2RegionCoverer::Options o;
    o.set_min_level(c.min); o.set_max_level(c.max); o.set_max_cells(c.cells);
    S2RegionCoverer coverer(o);
    int reps = 20;
    Report(c.name, reps, [&] {
      uint64_t acc = 0;
      for (int r = 0; r < reps; ++r) { std::vector<S2CellId> out; coverer.GetCovering(*star, &out); acc += out.size(); }
      return acc;
    });
  }
  return 0;
}
