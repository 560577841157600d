// Where strata-prep's text comes from: one file, a directory of files, or
// the Brown corpus; and where that text is cut into train and val.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace strata::io {

struct TextSource {
  std::string description;                   // recorded as the file's `source`
  std::string text;                          // exactly what the tokenizer sees
  std::vector<std::size_t> document_starts;  // byte offset of each document in text
  std::uint64_t bytes_read = 0;              // bytes read from disk
  std::size_t files = 0;
};

// spec is one of:
//   <file>        the file's bytes, unchanged (one document);
//   <directory>   every regular, non-hidden file in it, in byte-wise name
//                 order, each one document;
//   brown:<dir>   the Brown corpus files (ca01..cr09) in <dir>, in name order,
//                 each converted by brown_to_text() and one document.
// Documents are joined with one blank line between them (trailing newlines
// of each are normalised to one). Every problem (missing, unreadable, empty)
// is an input Error whose subject is `option` = spec.
TextSource load_text_source(const std::string& spec, const std::string& option = "--input");

// The byte offset where the validation text begins, for a tail of about
// val_fraction of the bytes. From the exact fraction the cut moves to the
// nearest document start, else paragraph break ("\n\n"), else line break,
// found within half the tail's length either side; failing all three it
// stays at the fraction (on a UTF-8 character boundary). val_fraction == 0
// gives text.size(). See docs/data.md for why the split is a contiguous tail.
std::size_t validation_start(const TextSource& source, double val_fraction);

// Reads a whole file; errors are input Errors naming `subject`.
std::string read_text_file(const std::string& path, const std::string& subject);

}  // namespace strata::io
