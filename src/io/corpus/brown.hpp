// The Brown corpus (form C, POS-tagged) as plain English text: tags
// stripped, quotes restored, punctuation attached the way it is printed.
#pragma once

#include <string>
#include <string_view>

namespace strata::io {

// Converts one tagged Brown file. Each non-blank line is a sentence and
// becomes one output line; a run of blank lines is a paragraph break and
// becomes one blank line. The rule (docs/data.md has an example):
//  - each whitespace-separated token is split at its LAST '/': word/tag;
//  - `` and '' become ";
//  - words are joined by single spaces, except that closing punctuation
//    (. , ; : ? ! ) ] } ' '' and the clitics 's 're 've 'll 'd 'm n't)
//    attaches to the word before it, and opening quotes/brackets (`` ( [ {)
//    to the word after it.
// The result ends with a newline unless it is empty.
std::string brown_to_text(std::string_view tagged);

// True for the names of the corpus' 500 text files (ca01 .. cr09), so that
// README, CONTENTS and package files in the same directory are left out.
bool is_brown_file_name(std::string_view name);

}  // namespace strata::io
