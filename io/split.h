// The patient-grouped, seeded split of docs/data.md (sorted patients, Fisher-Yates with the
// project's RNG, n_val = n_test = max(1, floor(0.05 P + 0.5)), val then test then train; with
// K folds, the same test set and the other patients dealt into K folds, fold k validating), its
// split.json, and the class statistics of the training subset that weighted cross-entropy uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/preprocess.h"

namespace unet3d {

// Cross-validation: `count` folds (0: none), of which `fold` validates.
struct Folds {
  int count = 0, fold = 0;
};

struct Split {
  std::uint64_t seed = 42;
  Folds folds;
  std::vector<std::string> train, val, test;  // case names
};

// "" without folds, else " (fold k of K validates)": for logs.
std::string folds_note(const Folds& folds);

// Fewer than 3 patients is a data Error. With folds, the patients outside the test set are dealt
// in their shuffled order (position j to fold j mod K); fewer such patients than folds is a
// data Error.
Split split_by_patient(const std::vector<CaseInfo>& cases, std::uint64_t seed, Folds folds = {});

void write_split(const std::string& path, const Split& split);
// Every case named must be in `cases` and named once; a data Error names the file and the case.
Split read_split(const std::string& path, const std::vector<CaseInfo>& cases);

// The indices into `cases` of the names in `names`.
std::vector<std::size_t> case_indices(const std::vector<CaseInfo>& cases,
                                      const std::vector<std::string>& names);

// Voxels of each class over the given cases of the preprocessed (resized) dataset.
std::vector<std::int64_t> class_voxel_counts(const PreprocessedDataset& data,
                                             const std::vector<std::size_t>& cases);
// w_c = N / (C * max(N_c, 1)), N the total (docs/model.md, wce).
std::vector<double> weighted_ce_weights(const std::vector<std::int64_t>& counts);

}  // namespace unet3d
