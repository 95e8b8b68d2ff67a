// The CPU skeleton of the per-channel sums (channel_reduce.h): rows split into chunks chosen
// from the row count alone, each chunk summed by one thread, the chunks added in order. Where a
// vectorised sum of a chunk exists for the term (cpu_fast_path(term, first, end, sums), beside
// the term's family, as in batchnorm_cpu.h), it sums each chunk instead, given the whole term.
#pragma once

#include <algorithm>
#include <vector>

#include "kernels/channel_reduce.h"

namespace unet3d::cpu {

// How many chunks the rows are summed in: one per 2048 rows, 1 to 64, from the row count alone
// (so the sums do not depend on the thread count).
inline std::int64_t row_chunks(std::int64_t rows) {
  constexpr std::int64_t kMinRowsPerChunk = 2048, kMaxChunks = 64;
  return std::clamp<std::int64_t>((rows + kMinRowsPerChunk - 1) / kMinRowsPerChunk, 1, kMaxChunks);
}

// Returns Q * channels sums, valid until the next call on this thread (the caller may overwrite
// them with what it derives from them). The buffer only grows,
// so repeated calls with the same shapes allocate nothing.
template <int Q, class Term>
double* channel_sums(std::int64_t rows, std::int64_t channels, const Term& term) {
  const std::int64_t chunks = row_chunks(rows);
  const std::int64_t per_chunk = (rows + chunks - 1) / chunks;
  const std::int64_t width = Q * channels;
  thread_local std::vector<double> buffer;
  const auto needed = static_cast<std::size_t>((chunks + 1) * width);
  if (buffer.size() < needed) buffer.resize(needed);
  double* result = buffer.data();
  double* partial = buffer.data() + width;

#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < chunks; ++k) {
    double* mine = partial + k * width;
    const std::int64_t first = k * per_chunk, end = std::min(rows, (k + 1) * per_chunk);
    if constexpr (requires { cpu_fast_path(term, first, end, mine); }) {
      cpu_fast_path(term, first, end, mine);
    } else {
      std::fill(mine, mine + width, 0.0);
      for (std::int64_t r = first; r < end; ++r)
        for (std::int64_t c = 0; c < channels; ++c) {
          const Sums<Q> s = term(r, c);
          for (int q = 0; q < Q; ++q) mine[q * channels + c] += s.v[q];
        }
    }
  }
  std::fill(result, result + width, 0.0);
  for (std::int64_t k = 0; k < chunks; ++k)
    for (std::int64_t i = 0; i < width; ++i) result[i] += partial[k * width + i];
  return result;
}

}  // namespace unet3d::cpu
