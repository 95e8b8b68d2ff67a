// What the ranks of a data-parallel trainer (runtime/communicator.h) agree on beyond the
// training step: rank 0's settings, when to stop after a signal that reached only some, and a
// validation shared between them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/communicator.h"
#include "tools/evaluation/evaluator.h"
#include "tools/run/run_config.h"

namespace unet3d {

// settings := rank 0's on every rank (so that only rank 0 reads a resumed run's config.json).
void share_settings(Communicator& ranks, RunSettings& settings);

// Every rank computes on the same kind of device: a usage Error on every rank where `device`
// (--device auto's answer, say) differs between them (a collective).
void check_same_device(Communicator& ranks, Device device);

// Each of several ranks computes on a GPU of its own, its local rank's on its machine (more ranks
// than GPUs there is a usage Error), taken before any work reaches the device; a malformed
// launcher variable is a usage Error on any device. Nothing for a single process.
void take_own_gpu(const Communicator& ranks, Device device);

// A run resumes with as many ranks as it started with (config.json's "ranks"; 1 for runs from
// before it was kept), its batches being sliced by them: otherwise a usage Error. --sync-bn in
// a single process is warned about.
void check_resumed_ranks(const RunSettings& settings, const RunConfig& config,
                         const Communicator& ranks);

// The signal (SIGTERM before SIGINT) pending on any rank, or 0; adopted here (adopt_interrupt)
// where it reached only others or another reached this one, so that every rank stops at the
// same micro-batch and exits with the same code. A collective: every rank calls it at the same
// point.
int agreed_interrupt(Communicator& ranks);

// True on every rank when every rank's `indices` are rank 0's (a collective): each rank draws
// the split itself, from the same settings.
bool same_on_every_rank(Communicator& ranks, const std::vector<std::size_t>& indices);

// The cases of `cases` this rank scores when the ranks share an evaluation: every N-th, from
// its rank on.
std::vector<std::size_t> rank_share(const std::vector<std::size_t>& cases,
                                    const Communicator& ranks);

// The Dice table of all `names` (every case, in order) as one process scoring them all would
// make it, from each rank's table of its rank_share (a collective).
DiceTable gather_table(Communicator& ranks, const DiceTable& mine,
                       const std::vector<std::string>& names);

}  // namespace unet3d
