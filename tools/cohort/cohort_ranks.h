// predict's ranks (mpirun -np N, srun): each segments its share of the inputs, every N-th from
// its rank on (rank_share, tools/run/run_ranks.h), and writes its own cases' files. A failure on
// one rank ends no other: each goes on to the next point where they all meet (a collective,
// reached by every rank whatever happened), where they learn of it and end together with the
// failing rank's exit code. A single process is a world of one: the same code, no messages.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "runtime/communicator.h"
#include "scoring/case_scores.h"

namespace unet3d {

class RankOutcome {
 public:
  explicit RankOutcome(Communicator& ranks) : ranks_(ranks) {}

  // Runs `step` unless this rank has failed already, keeping its error.
  void attempt(const std::function<void()>& step);

  // Whether every rank has succeeded so far (a collective). Where one has failed, this rank's
  // own error is thrown from here, its message led by "rank R of N: " among several; a rank
  // that did not fail logs which did and gets false (then agreed_exit_code()).
  bool all_succeeded();
  // The exit code of the lowest failing rank (after all_succeeded() said false).
  int agreed_exit_code() const { return agreed_code_; }

 private:
  Communicator& ranks_;
  std::exception_ptr failure_;
  int agreed_code_ = 0;
};

// `error` (an exception) again, its message led by `lead`, its kind and place kept.
[[noreturn]] void rethrow_led(std::exception_ptr error, const std::string& lead);

// Every rank's `mine`, in rank order, on every rank (a collective).
std::vector<std::string> every_ranks_bytes(Communicator& ranks, const std::string& mine);

// The score table of all `cases` cases (in input order) as one process scoring them all would
// fill it, from each rank's table of its rank_share (a collective).
CaseScoreTable gather_scores(Communicator& ranks, const CaseScoreTable& mine, std::size_t cases);

}  // namespace unet3d
