// Dice reports as text, markdown and JSON.
#include "tools/report/report.h"

#include <cmath>
#include <sstream>

#include "io/json.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"

namespace unet3d {
namespace {

std::string fixed(double v) {
  if (std::isnan(v)) return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4f", v);
  return buffer;
}

std::string json_number(double v) {
  return std::isnan(v) ? "null" : fixed(v);
}

std::string table_json(const DiceTable& t) {
  std::string per_class = "{", left_out = "{", volumes;
  for (std::size_t c = 0; c < t.class_names.size(); ++c) {
    per_class +=
        concat(c ? ", " : "", json::quote(t.class_names[c]), ": ", json_number(t.per_class[c]));
    left_out += concat(c ? ", " : "", json::quote(t.class_names[c]), ": ", t.left_out[c]);
  }
  for (std::size_t v = 0; v < t.volumes.size(); ++v) {
    std::string dice = "{";
    for (std::size_t c = 0; c < t.class_names.size(); ++c)
      dice += concat(c ? ", " : "", json::quote(t.class_names[c]), ": ",
                     json_number(t.per_volume[v][c]));
    volumes += concat(v ? ",\n      " : "\n      ", "{\"case\": ", json::quote(t.volumes[v]),
                      ", \"dice\": ", dice, "}}");
  }
  return concat("{\n    \"average\": ", json_number(t.average),
                ",\n    \"foreground_mean\": ", json_number(t.foreground),
                ",\n    \"per_class\": ", per_class, "},\n    \"volumes_left_out\": ", left_out,
                "},\n    \"volumes\": [", volumes, "\n    ]\n  }");
}

}  // namespace

std::string epoch_summary(std::int64_t epoch, std::int64_t epochs, double train_loss,
                          const DiceTable* val, double val_loss, double seconds) {
  std::string line = concat("epoch ", epoch, "/", epochs, "  train loss ", fixed(train_loss));
  if (val != nullptr) {
    line += concat("  val loss ", fixed(val_loss), "  val Dice");
    for (std::size_t c = 0; c < val->class_names.size(); ++c)
      line += concat(" ", val->class_names[c], " ", fixed(val->per_class[c]));
    line += concat("  mean ", fixed(val->average));
  }
  char time[32];
  std::snprintf(time, sizeof time, "  %.1f s", seconds);
  return line + time;
}

std::string dice_table_text(const std::string& title, const DiceTable& t) {
  std::string header = "| Average |", rule = "|---------|",
              values = concat("| ", fixed(t.average), "  |");
  for (std::size_t c = 0; c < t.class_names.size(); ++c) {
    header += concat(" ", t.class_names[c], " |");
    rule += std::string(t.class_names[c].size() + 2, '-') + "|";
    values += concat(" ", fixed(t.per_class[c]), " |");
  }
  std::string text =
      concat(title, " (", t.volumes.size(), " volumes)\n", header, "\n", rule, "\n", values,
             "\nAverage: the mean of the classes' means, background included; foreground mean "
             "(without the background): ",
             fixed(t.foreground));
  for (std::size_t c = 0; c < t.class_names.size(); ++c)
    if (t.left_out[c] > 0)
      text += concat("\n", t.class_names[c], ": absent from ", t.left_out[c],
                     " volumes, left out of its mean");
  return text;
}

void write_no_test_report(const std::filesystem::path& folder) {
  std::filesystem::create_directories(folder);
  write_file_atomically((folder / "report.md").string(),
                        "# Test report\n\nThe split has no test cases: there was no test phase.\n");
}

void write_test_report(const std::filesystem::path& folder, const DiceTable& network,
                       const DiceTable& native, const CaseScoreTable& scores, std::int64_t epochs,
                       const std::string& checkpoint) {
  std::filesystem::create_directories(folder);
  std::ostringstream json, md;
  json << "{\n  \"checkpoint\": " << json::quote(checkpoint) << ",\n  \"epochs\": " << epochs
       << ",\n  \"network_resolution\": " << table_json(network)
       << ",\n  \"native_resolution\": " << table_json(native)
       << ",\n  \"surface\": {\n    \"nsd_tolerance_mm\": " << scores.tolerance_mm()
       << ",\n    \"per_class\": " << scores.summary_json() << "\n  }\n}\n";
  md << "# Test report\n\nCheckpoint `" << checkpoint << "` after " << epochs << " epochs"
     << (checkpoint == "last.safetensors"
             ? " (there is no best.safetensors: the run had no validation cases, or no "
               "validation score)"
             : "")
     << ".\n\n"
     << dice_table_text("## Dice at the network's resolution", network) << "\n\n"
     << dice_table_text("## Dice at native resolution", native) << "\n\n"
     << scores.summary_text("## Surface metrics at native resolution") << "\n";
  write_file_atomically((folder / "cases.csv").string(), scores.csv());
  write_file_atomically((folder / "report.json").string(), json.str());
  write_file_atomically((folder / "report.md").string(), md.str());
}

}  // namespace unet3d
