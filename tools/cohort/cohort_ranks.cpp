// The ranks of predict: their failures agreed on, their scores gathered.
#include "tools/cohort/cohort_ranks.h"

#include <algorithm>
#include <cstdint>

#include "runtime/error.h"
#include "runtime/log.h"

namespace unet3d {

void RankOutcome::attempt(const std::function<void()>& step) {
  if (failure_) return;
  try {
    step();
  } catch (...) {
    failure_ = std::current_exception();
  }
}

bool RankOutcome::all_succeeded() {
  const ErrorReport own = failure_ ? report_of(failure_) : ErrorReport{"", "", 0};
  // Each rank's exit code at its place, zeros elsewhere: the sum is every rank's.
  std::vector<double> codes(static_cast<std::size_t>(ranks_.size()), 0.0);
  codes[static_cast<std::size_t>(ranks_.rank())] = failure_ ? std::max(own.exit_code, 1) : 0;
  ranks_.sum(codes.data(), codes.size());
  int failed_rank = -1;
  for (std::size_t r = 0; r < codes.size() && failed_rank < 0; ++r)
    if (codes[r] != 0) failed_rank = static_cast<int>(r), agreed_code_ = static_cast<int>(codes[r]);
  if (failed_rank < 0) return true;
  if (failure_)
    rethrow_led(failure_, ranks_.distributed()
                              ? concat("rank ", ranks_.rank(), " of ", ranks_.size(), ": ")
                              : "");
  log_message(LogLevel::error, concat("rank ", failed_rank, " of ", ranks_.size(),
                                      " failed (its own line says why); rank ", ranks_.rank(),
                                      " ends with its exit code, ", agreed_code_));
  return false;
}

void rethrow_led(std::exception_ptr error, const std::string& lead) {
  if (lead.empty()) std::rethrow_exception(error);
  const ErrorReport report = report_of(error);
  throw Error(static_cast<ErrorKind>(report.exit_code), lead + report.message, report.where);
}

std::vector<std::string> every_ranks_bytes(Communicator& ranks, const std::string& mine) {
  std::vector<std::string> all(static_cast<std::size_t>(ranks.size()));
  for (int root = 0; root < ranks.size(); ++root) {
    std::string& bytes = all[static_cast<std::size_t>(root)];
    if (root == ranks.rank()) bytes = mine;
    std::uint64_t size = bytes.size();
    ranks.broadcast(&size, sizeof size, root);
    bytes.resize(size);
    ranks.broadcast(bytes.data(), size, root);
  }
  return all;
}

CaseScoreTable gather_scores(Communicator& ranks, const CaseScoreTable& mine, std::size_t cases) {
  const std::vector<std::string> bytes = every_ranks_bytes(ranks, mine.rows_bytes());
  std::vector<CaseScoreTable> tables;
  for (const std::string& rank_bytes : bytes) {
    tables.emplace_back(mine.class_names(), mine.tolerance_mm());
    tables.back().add_rows_bytes(rank_bytes);
  }
  // Case i is rank i % N's (i / N)-th.
  CaseScoreTable all(mine.class_names(), mine.tolerance_mm());
  const auto size = static_cast<std::size_t>(ranks.size());
  for (std::size_t i = 0; i < cases; ++i) all.add_case_of(tables[i % size], i / size);
  return all;
}

}  // namespace unet3d
