// Errors: InputError (bad request or catalog, exit 2), CatalogError (origin + JSON pointer), InternalError (bug, exit 3).
#pragma once

#include <stdexcept>
#include <string>

namespace dsplan {

namespace detail {
/// what() is a C string: a NUL inside a message (from a catalog key) would cut it short.
inline std::string without_nul(std::string text) {
  for (std::size_t i = text.find('\0'); i != std::string::npos; i = text.find('\0', i)) text.replace(i, 1, "\\x00");
  return text;
}
}  // namespace detail

/// Base of every error dsplan throws on purpose. The message is one line, complete in itself.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(detail::without_nul(message)) {}
  explicit Error(const char* message) : std::runtime_error(message) {}
};

/// The user asked for something invalid (unknown name, out-of-range number, bad catalog file).
class InputError : public Error {
 public:
  using Error::Error;
};

/// A request whose figures do not fit in 64-bit arithmetic (e.g. absurd context x batch).
class OverflowError : public InputError {
 public:
  using InputError::InputError;
};

/// A catalog file that does not match the schema: which file, which field, what was expected.
class CatalogError : public InputError {
 public:
  CatalogError(std::string origin, std::string pointer, const std::string& problem)
      : InputError(origin + ": " + (pointer.empty() ? std::string("/") : pointer) + ": " + problem),
        m_origin(std::move(origin)),
        m_pointer(std::move(pointer)) {}
  [[nodiscard]] const std::string& origin() const { return m_origin; }
  [[nodiscard]] const std::string& pointer() const { return m_pointer; }

 private:
  std::string m_origin;
  std::string m_pointer;
};

/// A broken invariant inside dsplan: a bug, never a verdict about the user's hardware.
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace dsplan
