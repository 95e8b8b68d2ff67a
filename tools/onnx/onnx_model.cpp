// The network of docs/model.md in ONNX operators. A model file already holds PyTorch's layouts,
// which are ONNX's (Conv [out, in, kD, kH, kW], ConvTranspose [in, out, kD, kH, kW], NCDHW
// activations), so its tensors go into the graph as they are.
#include "tools/onnx/onnx_model.h"

#include <onnx/checker.h>
#include <onnx/onnx-ml.pb.h>

#include <initializer_list>
#include <set>
#include <vector>

#include "io/safetensors.h"
#include "runtime/atomic_file.h"
#include "runtime/error.h"
#include "unet3d/build_config.h"

namespace unet3d {
namespace {

// The norms' epsilon and LeakyReLU's slope, as docs/model.md fixes them.
constexpr float kNormEpsilon = 1e-5F;
constexpr float kLeakySlope = 0.01F;

std::vector<std::int64_t> ints_of(Grid g) {
  return {g.d, g.h, g.w};
}

// Appends the nodes of the network to a graph, one value name per node (the node's own name).
class GraphWriter {
 public:
  GraphWriter(onnx::GraphProto& graph, const SafetensorsFile& file, const std::string& path,
              const UNetConfig& config)
      : graph_(graph), file_(file), path_(path), config_(config) {}

  // conv1, norm, activation, conv2, norm, activation: a block of level `level` (depth + 1: the
  // bottleneck) named `prefix`.
  std::string block(const std::string& prefix, const std::string& x, std::int64_t level) {
    std::string y = x;
    for (const char* which : {"1", "2"}) {
      const Grid k = config_.kernel(level);
      const std::string conv = prefix + ".conv" + which;
      y = node("Conv", conv, {y, weight(conv + ".weight")},
               {ints("kernel_shape", ints_of(k)),
                ints("pads", {k.d / 2, k.h / 2, k.w / 2, k.d / 2, k.h / 2, k.w / 2})});
      y = norm(prefix + ".bn" + which, y);
      y = activation(prefix + ".act" + which, y);
    }
    return y;
  }

  std::string max_pool(const std::string& name, const std::string& x, Grid p) {
    return node("MaxPool", name, {x},
                {ints("kernel_shape", ints_of(p)), ints("strides", ints_of(p))});
  }

  std::string up_convolution(const std::string& name, const std::string& x, Grid p) {
    return node("ConvTranspose", name, {x, weight(name + ".weight"), weight(name + ".bias")},
                {ints("kernel_shape", ints_of(p)), ints("strides", ints_of(p))});
  }

  std::string concat_channels(const std::string& name, const std::string& upsampled,
                              const std::string& skip) {
    onnx::AttributeProto axis;
    axis.set_name("axis");
    axis.set_type(onnx::AttributeProto::INT);
    axis.set_i(1);
    return node("Concat", name, {upsampled, skip}, {axis});
  }

  // The 1x1x1 head, writing the graph's output.
  void head(const std::string& x, const std::string& output) {
    node("Conv", "head", {x, weight("head.weight"), weight("head.bias")},
         {ints("kernel_shape", {1, 1, 1})}, output);
  }

 private:
  static onnx::AttributeProto ints(const std::string& name,
                                   const std::vector<std::int64_t>& values) {
    onnx::AttributeProto a;
    a.set_name(name);
    a.set_type(onnx::AttributeProto::INTS);
    for (const std::int64_t v : values) a.add_ints(v);
    return a;
  }

  static onnx::AttributeProto real(const std::string& name, float value) {
    onnx::AttributeProto a;
    a.set_name(name);
    a.set_type(onnx::AttributeProto::FLOAT);
    a.set_f(value);
    return a;
  }

  std::string norm(const std::string& prefix, const std::string& x) {
    if (config_.norm == NormKind::instance)
      return node("InstanceNormalization", prefix,
                  {x, weight(prefix + ".weight"), weight(prefix + ".bias")},
                  {real("epsilon", kNormEpsilon)});
    return node("BatchNormalization", prefix,
                {x, weight(prefix + ".weight"), weight(prefix + ".bias"),
                 weight(prefix + ".running_mean"), weight(prefix + ".running_var")},
                {real("epsilon", kNormEpsilon)});
  }

  std::string activation(const std::string& name, const std::string& x) {
    if (config_.activation == Activation::leaky_relu)
      return node("LeakyRelu", name, {x}, {real("alpha", kLeakySlope)});
    return node("Relu", name, {x}, {});
  }

  // The model file's tensor `name` as an initializer of the same name (once), F32 bytes as they
  // are: both formats are little-endian.
  std::string weight(const std::string& name) {
    if (!added_.insert(name).second) return name;
    const StoredTensor& t = file_.require(name, path_);  // checked: check_model_tensors
    onnx::TensorProto& init = *graph_.add_initializer();
    init.set_name(name);
    init.set_data_type(onnx::TensorProto::FLOAT);
    for (const std::int64_t d : t.shape) init.add_dims(d);
    init.set_raw_data(t.bytes.data(), t.bytes.size());
    return name;
  }

  std::string node(const std::string& op, const std::string& name,
                   const std::vector<std::string>& inputs,
                   const std::vector<onnx::AttributeProto>& attributes,
                   const std::string& output = "") {
    onnx::NodeProto& n = *graph_.add_node();
    n.set_op_type(op);
    n.set_name(name);
    for (const std::string& input : inputs) n.add_input(input);
    n.add_output(output.empty() ? name : output);
    for (const onnx::AttributeProto& a : attributes) *n.add_attribute() = a;
    return n.output(0);
  }

  onnx::GraphProto& graph_;
  const SafetensorsFile& file_;
  const std::string& path_;
  const UNetConfig& config_;
  std::set<std::string> added_;
};

// (N, channels, D, H, W) in float32, N and the spatial axes symbolic.
void declare_tensor(onnx::ValueInfoProto& value, const std::string& name, std::int64_t channels) {
  value.set_name(name);
  onnx::TypeProto::Tensor& tensor = *value.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto& shape = *tensor.mutable_shape();
  shape.add_dim()->set_dim_param("N");
  shape.add_dim()->set_dim_value(channels);
  for (const char* axis : {"D", "H", "W"}) shape.add_dim()->set_dim_param(axis);
}

// Encoders with their pooling, the bottleneck, then the decoders with their up-convolution and
// skip connection, and the head; the deep-supervision heads are training's only and left out.
void write_network(onnx::GraphProto& graph, const SafetensorsFile& file, const std::string& path,
                   const UNetConfig& c) {
  declare_tensor(*graph.add_input(), "image", c.in_channels);
  declare_tensor(*graph.add_output(), "logits", c.num_classes);
  GraphWriter w(graph, file, path, c);
  std::vector<std::string> skips;
  std::string x = "image";
  for (std::int64_t level = 1; level <= c.depth; ++level) {
    skips.push_back(w.block(concat("enc", level), x, level));
    x = w.max_pool(concat("pool", level), skips.back(), c.pool(level));
  }
  x = w.block("bottleneck", x, c.depth + 1);
  for (std::int64_t level = c.depth; level >= 1; --level) {
    const std::string up = w.up_convolution(concat("up", level), x, c.pool(level));
    x = w.concat_channels(concat("concat", level), up, skips[static_cast<std::size_t>(level - 1)]);
    x = w.block(concat("dec", level), x, level);
  }
  w.head(x, "logits");
}

}  // namespace

OnnxSummary export_onnx(const OnnxExport& what, const std::string& out) {
  const SafetensorsFile file = read_safetensors(what.checkpoint);
  OnnxSummary summary;
  summary.info = read_model_info(file, what.checkpoint);
  if (!summary.info.has_metadata) summary.info.config.activation = what.activation;
  check_model_tensors(file, what.checkpoint, unet3d_parameter_specs(summary.info.config));
  // A runtime needs the network's description: a file without metadata gets the one read off
  // its shapes (and the activation given).
  summary.metadata = summary.info.has_metadata
                         ? file.metadata
                         : network_metadata(summary.info.config, summary.info.normalization);

  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name("unet3d-cuda");
  model.set_producer_version(concat(kVersion, " (", kCommit, ")"));
  onnx::OperatorSetIdProto& opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);
  for (const auto& [key, value] : summary.metadata) {
    onnx::StringStringEntryProto& entry = *model.add_metadata_props();
    entry.set_key(key);
    entry.set_value(value);
  }
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("unet3d");
  write_network(graph, file, what.checkpoint, summary.info.config);
  summary.nodes = static_cast<std::size_t>(graph.node_size());
  summary.initializers = static_cast<std::size_t>(graph.initializer_size());

  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::runtime,
                concat("the ONNX graph of ", what.checkpoint, " fails ONNX's checker: ", e.what()));
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error(ErrorKind::runtime, concat("cannot serialise the ONNX graph of ", what.checkpoint));
  AtomicFile file_out(out);
  file_out.write(bytes.data(), bytes.size());
  file_out.commit();
  return summary;
}

}  // namespace unet3d
