// Parameter values between tensors and host doubles.
#include "layers/host_values.h"

#include "kernels/elementwise.h"

namespace unet3d {

std::vector<double> host_values(const Tensor& t) {
  const Tensor host = t.to(Device::cpu);
  std::vector<double> values(static_cast<std::size_t>(host.numel()));
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = host.dtype() == DType::f64 ? host.data_as<double>()[i] : host.data_as<float>()[i];
  return values;
}

Tensor tensor_of_values(const std::vector<double>& values, Shape shape, DType dtype,
                        Device device) {
  const DType host_dtype = dtype == DType::f64 ? DType::f64 : DType::f32;
  Tensor host(shape, host_dtype, Device::cpu);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (host_dtype == DType::f64)
      host.data_as<double>()[i] = values[i];
    else
      host.data_as<float>()[i] = static_cast<float>(values[i]);
  }
  Tensor moved = host.to(device);
  if (dtype == host_dtype) return moved;
  Tensor converted(shape, dtype, device);
  cast({moved, converted});
  return converted;
}

}  // namespace unet3d
