// docs/config.md documents every deck key, under its section's heading.
#include <fstream>
#include <sstream>

#include "config/impl/key_table.hpp"
#include "config_test_support.hpp"

#ifndef STRATA_DOCS_DIR
#error "STRATA_DOCS_DIR must name the docs/ folder"
#endif

namespace strata::config {
namespace {

TEST(ConfigDocs, EveryKeyIsDocumentedInItsSection) {
  std::ifstream in(STRATA_DOCS_DIR "/config.md");
  ASSERT_TRUE(in) << "docs/config.md is missing";
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string docs = buffer.str();
  for (const auto& spec : impl::deck_keys()) {
    const std::string heading = "## [" + spec.section + "]";
    const auto start = docs.find(heading);
    ASSERT_NE(start, std::string::npos) << "no heading " << heading;
    const auto end = docs.find("\n## ", start + heading.size());
    const std::string section =
        docs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    EXPECT_NE(section.find("| `" + spec.name + "` |"), std::string::npos)
        << spec.subject() << " is not in the table under " << heading;
  }
}

}  // namespace
}  // namespace strata::config
