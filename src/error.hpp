// Errors inside the library are C++ exceptions of type sparseflow::Error; every C entry point
// runs its body through guarded(), which turns them (and any other exception) into a status and
// the calling thread's last-error message. Nothing escapes the ABI.
#pragma once

#include <exception>
#include <string>

#include "sparseflow/sparseflow.h"

namespace sparseflow {

class Error : public std::exception {
 public:
  Error(sf_status_t status, std::string message) : status_(status), message_(std::move(message)) {}
  sf_status_t status() const noexcept { return status_; }
  const char *what() const noexcept override { return message_.c_str(); }

 private:
  sf_status_t status_;
  std::string message_;
};

// Throws Error(status, printf-formatted message).
[[noreturn]] void fail(sf_status_t status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

// The calling thread's last-error message.
void set_last_error(const char *function, const char *message);
void clear_last_error();
const char *last_error();

// Runs body (which returns void and reports failure by throwing) as the C entry point `function`.
template <typename Body>
sf_status_t guarded(const char *function, Body &&body) noexcept {
  clear_last_error();
  try {
    body();
    return SF_SUCCESS;
  } catch (const Error &e) {
    set_last_error(function, e.what());
    return e.status();
  } catch (const std::bad_alloc &) {
    set_last_error(function, "out of host memory");
    return SF_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception &e) {
    set_last_error(function, e.what());
    return SF_ERROR_INTERNAL;
  } catch (...) {
    set_last_error(function, "unknown internal error");
    return SF_ERROR_INTERNAL;
  }
}

}  // namespace sparseflow
