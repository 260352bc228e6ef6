#include "error.hpp"

#include <cstdarg>
#include <cstdio>

namespace sparseflow {
namespace {
// Fixed-size so that recording an error can never itself fail.
thread_local char t_last_error[1024] = "";
}  // namespace

void fail(sf_status_t status, const char *format, ...) {
  char buffer[768];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  throw Error(status, buffer);
}

void set_last_error(const char *function, const char *message) {
  std::snprintf(t_last_error, sizeof t_last_error, "%s: %s", function, message);
}

void clear_last_error() { t_last_error[0] = '\0'; }

const char *last_error() { return t_last_error; }

}  // namespace sparseflow
