// Connected components by a breadth-first flood fill over the 26 neighbours, and the
// largest-component post-processing built on them.
#include "scoring/postprocess.h"

#include <algorithm>

#include "runtime/error.h"

namespace unet3d {

std::vector<std::int32_t> connected_components(const std::uint8_t* mask, Grid grid,
                                               std::vector<std::int64_t>& sizes) {
  const std::int64_t voxels = grid.d * grid.h * grid.w;
  std::vector<std::int32_t> component(static_cast<std::size_t>(voxels), -1);
  std::vector<std::int64_t> queue;
  sizes.clear();
  for (std::int64_t seed = 0; seed < voxels; ++seed) {
    if (mask[seed] == 0 || component[static_cast<std::size_t>(seed)] >= 0) continue;
    const auto id = static_cast<std::int32_t>(sizes.size());
    component[static_cast<std::size_t>(seed)] = id;
    queue.assign(1, seed);
    for (std::size_t next = 0; next < queue.size(); ++next) {
      const std::int64_t v = queue[next];
      const std::int64_t z = v / (grid.h * grid.w), y = v / grid.w % grid.h, x = v % grid.w;
      for (std::int64_t dz = -1; dz <= 1; ++dz)
        for (std::int64_t dy = -1; dy <= 1; ++dy)
          for (std::int64_t dx = -1; dx <= 1; ++dx) {
            const std::int64_t nz = z + dz, ny = y + dy, nx = x + dx;
            if (nz < 0 || nz >= grid.d || ny < 0 || ny >= grid.h || nx < 0 || nx >= grid.w)
              continue;
            const std::int64_t n = (nz * grid.h + ny) * grid.w + nx;
            if (mask[n] == 0 || component[static_cast<std::size_t>(n)] >= 0) continue;
            component[static_cast<std::size_t>(n)] = id;
            queue.push_back(n);
          }
    }
    sizes.push_back(static_cast<std::int64_t>(queue.size()));
  }
  return component;
}

void keep_largest_components(std::uint8_t* labels, Grid grid, const std::vector<bool>& apply) {
  const std::int64_t voxels = grid.d * grid.h * grid.w;
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(voxels));
  std::vector<std::int64_t> sizes;
  for (std::size_t c = 1; c < apply.size(); ++c) {
    if (!apply[c]) continue;
    for (std::int64_t v = 0; v < voxels; ++v) mask[static_cast<std::size_t>(v)] = labels[v] == c;
    const std::vector<std::int32_t> component = connected_components(mask.data(), grid, sizes);
    if (sizes.size() < 2) continue;
    const auto largest =
        static_cast<std::int32_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
    for (std::int64_t v = 0; v < voxels; ++v) {
      const std::int32_t k = component[static_cast<std::size_t>(v)];
      if (k >= 0 && k != largest) labels[v] = 0;
    }
  }
}

}  // namespace unet3d
