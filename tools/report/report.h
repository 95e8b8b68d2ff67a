// What a run prints and writes about Dice: the epoch summary line, the test table in the
// original project's shape (Average, then each class by name), test/report.json and report.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "scoring/case_scores.h"
#include "tools/evaluation/evaluator.h"

namespace unet3d {

std::string epoch_summary(std::int64_t epoch, std::int64_t epochs, double train_loss,
                          const DiceTable* val, double val_loss, double seconds);

// A markdown table: | Average | <class> | ... | and one row of values, with how many volumes
// each class was left out of.
std::string dice_table_text(const std::string& title, const DiceTable& table);

// test/report.md of a run whose split has no test cases: that there was no test phase.
void write_no_test_report(const std::filesystem::path& folder);

// test/report.json and report.md (both Dice tables and the surface metrics' summary) and
// test/cases.csv (every case and class at native resolution).
void write_test_report(const std::filesystem::path& folder, const DiceTable& network,
                       const DiceTable& native, const CaseScoreTable& scores, std::int64_t epochs,
                       const std::string& checkpoint);

}  // namespace unet3d
