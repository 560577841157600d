// Attribute I/O. Strings are stored variable-length so that h5py reads them
// as str, and an empty string (a gpt2-bpe file's tokenizer_vocab) is legal.
#include "io/hdf5/h5_attribute.hpp"

#include <vector>

#include "io/hdf5/h5_handle.hpp"

namespace strata::io::h5 {
namespace {

bool valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80           ? 1
                               : (lead >> 5) == 0x6  ? 2
                               : (lead >> 4) == 0xE  ? 3
                               : (lead >> 3) == 0x1E ? 4
                                                     : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    i += length;
  }
  return true;
}

Attribute create(hid_t owner, const std::string& name, hid_t type, const std::string& path) {
  Dataspace space(STRATA_CHECK_H5(H5Screate(H5S_SCALAR), path));
  return Attribute(STRATA_CHECK_H5(
      H5Acreate2(owner, name.c_str(), type, space.id(), H5P_DEFAULT, H5P_DEFAULT), path));
}

Attribute open(hid_t owner, const std::string& name, const std::string& path) {
  return Attribute(STRATA_CHECK_H5(H5Aopen(owner, name.c_str(), H5P_DEFAULT), path));
}

}  // namespace

void write_attribute(hid_t owner, const std::string& name, const std::string& value,
                     const std::string& path) {
  Datatype type(STRATA_CHECK_H5(H5Tcopy(H5T_C_S1), path));
  STRATA_CHECK_H5(H5Tset_size(type.id(), H5T_VARIABLE), path);
  // Text that is not UTF-8 (a byte vocabulary) is marked ASCII so that
  // readers hand it over as bytes instead of failing to decode it.
  STRATA_CHECK_H5(H5Tset_cset(type.id(), valid_utf8(value) ? H5T_CSET_UTF8 : H5T_CSET_ASCII), path);
  Attribute attribute = create(owner, name, type.id(), path);
  const char* data = value.c_str();
  STRATA_CHECK_H5(H5Awrite(attribute.id(), type.id(), &data), path);
}

void write_attribute(hid_t owner, const std::string& name, std::uint64_t value,
                     const std::string& path) {
  Attribute attribute = create(owner, name, H5T_STD_U64LE, path);
  STRATA_CHECK_H5(H5Awrite(attribute.id(), H5T_NATIVE_UINT64, &value), path);
}

void write_attribute(hid_t owner, const std::string& name, double value, const std::string& path) {
  Attribute attribute = create(owner, name, H5T_IEEE_F64LE, path);
  STRATA_CHECK_H5(H5Awrite(attribute.id(), H5T_NATIVE_DOUBLE, &value), path);
}

bool has_attribute(hid_t owner, const std::string& name, const std::string& path) {
  return STRATA_CHECK_H5(H5Aexists(owner, name.c_str()), path) > 0;
}

std::string read_string_attribute(hid_t owner, const std::string& name, const std::string& path) {
  Attribute attribute = open(owner, name, path);
  Datatype stored(STRATA_CHECK_H5(H5Aget_type(attribute.id()), path));
  if (STRATA_CHECK_H5(H5Tget_class(stored.id()), path) != H5T_STRING)
    throw Error("attribute '" + name + "' is not a string", path,
                "rerun strata-prep to rewrite the file");
  Datatype memory(STRATA_CHECK_H5(H5Tcopy(H5T_C_S1), path));
  if (STRATA_CHECK_H5(H5Tis_variable_str(stored.id()), path) > 0) {
    STRATA_CHECK_H5(H5Tset_size(memory.id(), H5T_VARIABLE), path);
    STRATA_CHECK_H5(H5Tset_cset(memory.id(), H5Tget_cset(stored.id())), path);
    char* data = nullptr;
    STRATA_CHECK_H5(H5Aread(attribute.id(), memory.id(), &data), path);
    std::string value = data ? data : "";
    H5free_memory(data);
    return value;
  }
  // Fixed-length (as other tools may write): read the bytes, drop padding.
  const std::size_t size = H5Tget_size(stored.id());
  STRATA_CHECK_H5(H5Tset_size(memory.id(), size), path);
  STRATA_CHECK_H5(H5Tset_strpad(memory.id(), H5T_STR_NULLPAD), path);
  std::vector<char> bytes(size + 1, '\0');
  STRATA_CHECK_H5(H5Aread(attribute.id(), memory.id(), bytes.data()), path);
  std::string value(bytes.data(), size);
  value.erase(value.find_last_not_of('\0') + 1);
  return value;
}

std::uint64_t read_uint_attribute(hid_t owner, const std::string& name, const std::string& path) {
  Attribute attribute = open(owner, name, path);
  Datatype stored(STRATA_CHECK_H5(H5Aget_type(attribute.id()), path));
  if (STRATA_CHECK_H5(H5Tget_class(stored.id()), path) != H5T_INTEGER)
    throw Error("attribute '" + name + "' is not an integer", path,
                "rerun strata-prep to rewrite the file");
  std::uint64_t value = 0;
  STRATA_CHECK_H5(H5Aread(attribute.id(), H5T_NATIVE_UINT64, &value), path);
  return value;
}

double read_double_attribute(hid_t owner, const std::string& name, const std::string& path) {
  Attribute attribute = open(owner, name, path);
  double value = 0;
  STRATA_CHECK_H5(H5Aread(attribute.id(), H5T_NATIVE_DOUBLE, &value), path);
  return value;
}

}  // namespace strata::io::h5
