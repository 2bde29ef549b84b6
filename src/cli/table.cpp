// Plain-text table rendering.
#include "cli/table.hpp"

#include "dsplan/base/text.hpp"

#include <algorithm>

#include "dsplan/base/error.hpp"

namespace dsplan::cli {

std::size_t display_width(const std::string& text) {
  std::size_t n = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

void Table::add_row(std::vector<std::string> cells) {
  if (cells.size() != m_columns.size()) throw InternalError("table row has the wrong number of cells");
  for (auto& c : cells) c = printable(c);  // names from files and catalogs: no terminal escapes
  m_rows.push_back(std::move(cells));
}

void Table::render(std::ostream& out, const std::string& indent) const {
  std::vector<std::size_t> width(m_columns.size());
  for (std::size_t c = 0; c < m_columns.size(); ++c) {
    width[c] = display_width(m_columns[c].header);
    for (const auto& row : m_rows) width[c] = std::max(width[c], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text = indent;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::size_t pad = width[c] - display_width(cells[c]);
      if (c > 0) text += "  ";
      if (m_columns[c].align == Align::right) text += std::string(pad, ' ') + cells[c];
      else text += cells[c] + (c + 1 < cells.size() ? std::string(pad, ' ') : "");
    }
    out << text << '\n';
  };
  std::vector<std::string> headers;
  for (const auto& col : m_columns) headers.push_back(col.header);
  line(headers);
  for (const auto& row : m_rows) line(row);
}

}  // namespace dsplan::cli
