// The split, split.json, and class statistics.
#include "io/split.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "io/json.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "runtime/rng.h"

namespace unet3d {
namespace {

std::int64_t subset_size(std::size_t patients) {
  return std::max<std::int64_t>(
      1, static_cast<std::int64_t>(0.05 * static_cast<double>(patients) + 0.5));
}

}  // namespace

Split split_by_patient(const std::vector<CaseInfo>& cases, std::uint64_t seed, Folds folds) {
  std::map<std::string, std::vector<std::string>> by_patient;  // sorted by patient id
  for (const CaseInfo& c : cases) by_patient[c.patient].push_back(c.name);
  if (by_patient.size() < 3)
    throw_error(ErrorKind::data,
                concat("the dataset has ", by_patient.size(),
                       " patients; a train/validation/test split needs at least 3"),
                __FILE__, __LINE__);
  std::vector<std::string> patients;
  for (const auto& [patient, names] : by_patient) patients.push_back(patient);
  Rng rng(seed);
  for (std::size_t i = patients.size() - 1; i > 0; --i)
    std::swap(patients[i], patients[rng.below(i + 1)]);

  Split split;
  split.seed = seed;
  split.folds = folds;
  const auto n_val = static_cast<std::size_t>(subset_size(patients.size()));
  const auto n_test = static_cast<std::size_t>(subset_size(patients.size()));
  if (folds.count > 0 && patients.size() - n_test < static_cast<std::size_t>(folds.count))
    throw_error(ErrorKind::data,
                concat("the dataset has ", patients.size() - n_test,
                       " patients outside the test set, fewer than the ", folds.count, " folds"),
                __FILE__, __LINE__);
  std::size_t dealt = 0;  // non-test patients so far, for the folds
  for (std::size_t i = 0; i < patients.size(); ++i) {
    const bool test = i >= n_val && i < n_val + n_test;
    const bool val = folds.count > 0
                         ? !test && static_cast<int>(dealt++ % folds.count) == folds.fold
                         : i < n_val;
    std::vector<std::string>& subset = test ? split.test : val ? split.val : split.train;
    for (const std::string& name : by_patient[patients[i]]) subset.push_back(name);
  }
  for (auto* subset : {&split.train, &split.val, &split.test})
    std::sort(subset->begin(), subset->end());
  return split;
}

std::string folds_note(const Folds& folds) {
  return folds.count > 0 ? concat(" (fold ", folds.fold, " of ", folds.count, " validates)") : "";
}

void write_split(const std::string& path, const Split& split) {
  std::ostringstream out;
  const auto list = [](const std::vector<std::string>& names) {
    std::string s = "[";
    for (std::size_t i = 0; i < names.size(); ++i)
      s += concat(i ? ", " : "", json::quote(names[i]));
    return s + "]";
  };
  out << "{\"seed\": " << split.seed << ",\n";
  if (split.folds.count > 0)
    out << " \"folds\": " << split.folds.count << ", \"fold\": " << split.folds.fold << ",\n";
  out << " \"train\": " << list(split.train) << ",\n \"val\": " << list(split.val)
      << ",\n \"test\": " << list(split.test) << "}\n";
  write_file_atomically(path, out.str());
}

Split read_split(const std::string& path, const std::vector<CaseInfo>& cases) {
  const json::Value root = json::parse_file(path);
  std::set<std::string> known, seen;
  for (const CaseInfo& c : cases) known.insert(c.name);
  Split split;
  if (const json::Value* seed = root.find("seed"))
    split.seed = static_cast<std::uint64_t>(seed->as_int(path + ": seed"));
  if (const json::Value* folds = root.find("folds")) {
    split.folds.count = static_cast<int>(folds->as_int(path + ": folds"));
    const json::Value* fold = root.find("fold");
    split.folds.fold = fold ? static_cast<int>(fold->as_int(path + ": fold")) : -1;
    if (split.folds.count < 2 || split.folds.fold < 0 || split.folds.fold >= split.folds.count)
      throw_error(ErrorKind::data,
                  concat(path, ": folds ", split.folds.count, " and fold ", split.folds.fold,
                         " are not K >= 2 and 0 <= k < K"),
                  __FILE__, __LINE__);
  }
  for (const auto& [key, subset] : {std::pair{"train", &split.train}, std::pair{"val", &split.val},
                                    std::pair{"test", &split.test}}) {
    const json::Value* list = root.find(key);
    if (list == nullptr || !list->is(json::Value::Kind::array))
      throw_error(ErrorKind::data, concat(path, ": no \"", key, "\" list"), __FILE__, __LINE__);
    for (const json::Value& name : list->items) {
      if (!known.count(name.text))
        throw_error(ErrorKind::data,
                    concat(path, ": case '", name.text, "' (", key, ") is not in the dataset"),
                    __FILE__, __LINE__);
      if (!seen.insert(name.text).second)
        throw_error(ErrorKind::data, concat(path, ": case '", name.text, "' is listed twice"),
                    __FILE__, __LINE__);
      subset->push_back(name.text);
    }
  }
  return split;
}

std::vector<std::size_t> case_indices(const std::vector<CaseInfo>& cases,
                                      const std::vector<std::string>& names) {
  std::map<std::string, std::size_t> where;
  for (std::size_t i = 0; i < cases.size(); ++i) where[cases[i].name] = i;
  std::vector<std::size_t> out;
  for (const std::string& n : names) out.push_back(where.at(n));
  return out;
}

std::vector<std::int64_t> class_voxel_counts(const PreprocessedDataset& data,
                                             const std::vector<std::size_t>& cases) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(data.num_classes), 0);
  for (const std::size_t i : cases) {
    const Tensor labels = data.label(i).to(Device::cpu);
    const std::uint8_t* v = labels.data_as<std::uint8_t>();
    for (std::int64_t k = 0; k < labels.numel(); ++k)
      if (v[k] < counts.size()) ++counts[v[k]];
  }
  return counts;
}

std::vector<double> weighted_ce_weights(const std::vector<std::int64_t>& counts) {
  double total = 0;
  for (const std::int64_t c : counts) total += static_cast<double>(c);
  std::vector<double> w;
  for (const std::int64_t c : counts)
    w.push_back(total / (static_cast<double>(counts.size()) *
                         static_cast<double>(std::max<std::int64_t>(c, 1))));
  return w;
}

}  // namespace unet3d
