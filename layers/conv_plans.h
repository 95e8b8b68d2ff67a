// The cache of convolution plans: one per (shape, dtype, determinism), made when first used,
// and in it each direction's algorithm only when that direction first runs (predict plans no
// backward pass; the first layer never plans a data gradient). Where cuDNN offers nothing for a
// layout and zero-padding the channels would change it, the plan is laid out padded and that
// direction planned again. Written over any layout and choice types, so the CPU tests check
// the bookkeeping with stand-ins; layers/conv3d_cudnn.cpp instantiates it with cuDNN's.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "layers/conv_algorithm.h"
#include "runtime/error.h"

namespace unet3d {

struct ConvKey {
  Shape x, w;  // input [N, D, H, W, Cin], weights [Cout, k, k, k, Cin]
  DType dtype = DType::f32;
  bool deterministic = false;

  auto tied() const {
    return std::tuple(x.n, x.d, x.h, x.w, x.c, w.n, w.d, w.h, w.w, w.c, dtype, deterministic);
  }
  bool operator<(const ConvKey& o) const { return tied() < o.tied(); }
};

// Whether laying a refused convolution out again with padded channels changes anything: f32
// channel counts that are not multiples of 8 (f16 ones are padded from the start).
inline bool padding_changes(const ConvKey& key) {
  return planned_channels(key.w, key.dtype, true) != planned_channels(key.w, key.dtype, false);
}

// One layout a probe tried (tools/cudnn_probe): padded or as planned first, whether cuDNN
// offered a usable algorithm for every direction, and the error that stopped it, if any.
struct ProbeAttempt {
  bool padded = false, usable = false;
  std::string error;
};

// The layouts a probe of `key` tries, as the plans fall back: the planned one, then, where that
// is refused (probe returns false, or throws an Error) and padding changes the channels, the
// padded one. probe(refused_as_is) probes the layout planned_channels gives for that flag.
inline std::vector<ProbeAttempt> probe_layouts(const ConvKey& key,
                                               const std::function<bool(bool)>& probe) {
  std::vector<ProbeAttempt> attempts;
  for (const bool refused_as_is : {false, true}) {
    if (refused_as_is && !padding_changes(key)) break;
    ProbeAttempt a{refused_as_is, false, ""};
    try {
      a.usable = probe(refused_as_is);
    } catch (const Error& e) {
      a.error = e.what();
    }
    attempts.push_back(a);
    if (a.usable) break;
  }
  return attempts;
}

struct PlanningCost {
  int plans = 0, directions = 0, relayouts = 0;
  double seconds = 0;
};

template <class Layout, class Choice>
class ConvPlans {
 public:
  // lay_out(key, refused_as_is): the layout for planned_channels(key.w, key.dtype,
  // refused_as_is). choose(layout, key, direction): the direction's algorithm, or an Error
  // where cuDNN offers nothing usable.
  using LayOut = std::function<Layout(const ConvKey&, bool refused_as_is)>;
  using Choose = std::function<Choice(Layout&, const ConvKey&, ConvDirection)>;

  ConvPlans(LayOut lay_out, Choose choose)
      : lay_out_(std::move(lay_out)), choose_(std::move(choose)) {}

  struct Planned {
    Layout& layout;
    const Choice& choice;
  };

  Planned get(const ConvKey& key, ConvDirection direction) {
    const auto started = std::chrono::steady_clock::now();
    auto found = entries_.find(key);
    if (found == entries_.end()) {
      found = entries_.emplace(key, Entry{lay_out_(key, false), false, {}}).first;
      ++cost_.plans;
    }
    Entry& e = found->second;
    std::optional<Choice>& slot = e.choices[static_cast<std::size_t>(direction)];
    if (!slot) {
      try {
        slot.emplace(choose_(e.layout, key, direction));
      } catch (const Error&) {
        if (e.refused_as_is || !padding_changes(key)) throw;
        e.refused_as_is = true;
        e.choices = {};  // chosen for the old layout
        e.layout = lay_out_(key, true);
        ++cost_.relayouts;
        e.choices[static_cast<std::size_t>(direction)].emplace(choose_(e.layout, key, direction));
      }
      ++cost_.directions;
      cost_.seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    return {e.layout, *e.choices[static_cast<std::size_t>(direction)]};
  }

  const PlanningCost& cost() const { return cost_; }

 private:
  struct Entry {
    Layout layout;
    bool refused_as_is;
    std::array<std::optional<Choice>, 3> choices;
  };
  LayOut lay_out_;
  Choose choose_;
  std::map<ConvKey, Entry> entries_;
  PlanningCost cost_;
};

}  // namespace unet3d
