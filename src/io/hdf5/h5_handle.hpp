// Move-only owners of HDF5 identifiers: one class per kind of object, each
// closing its id on destruction, so no early return or exception leaks one.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include "io/hdf5/h5_check.hpp"

namespace strata::io::h5 {

template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  // Takes ownership of an id that a checked call returned (so it is valid).
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  // A destructor cannot report; close() is there for the writer, which must
  // know that the final flush of a file reached the disk.
  ~Handle() { reset(); }

  hid_t id() const noexcept { return id_; }
  explicit operator bool() const noexcept { return id_ >= 0; }

  void close(const std::string& path) {
    if (id_ < 0) return;
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    check(Close(id), "close", path, __FILE__, __LINE__);
  }

 private:
  void reset() noexcept {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }

  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Attribute = Handle<H5Aclose>;
using PropertyList = Handle<H5Pclose>;
using Datatype = Handle<H5Tclose>;

}  // namespace strata::io::h5
