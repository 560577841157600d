// config.resolved.ini: every key written, read back to an equal Config, and
// written atomically.
#include <cmath>

#include "config/impl/key_table.hpp"
#include "config/load.hpp"
#include "config/resolved_writer.hpp"
#include "config/validate.hpp"
#include "config_test_support.hpp"

namespace strata::config {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

class ResolvedDeck : public testing::TempDirTest {};

TEST_F(ResolvedDeck, DefaultsRoundTrip) {
  Config original;
  validate(original, 1);
  const std::string path = this->path("config.resolved.ini");
  write_resolved_ini(original, path);
  Config reread;
  read_deck(path, reread);
  validate(reread, 1);
  EXPECT_TRUE(same_values(original, reread));
  EXPECT_EQ(reread.origins.size(), impl::deck_keys().size());  // every key written
}

TEST_F(ResolvedDeck, DeckOverridesAndDeepSpeedRoundTrip) {
  const std::string deck = write("run.ini",
                                 "[model]\nn_layer = 4\nn_head = 4\nn_embd = 128\n"
                                 "[train]\nsteps = 300\nlr = 2.5e-4\nseed = 7\n"
                                 "deepspeed_config = " STRATA_CONFIG_FIXTURES
                                 "/ds_config.json\n"
                                 "[memory]\ndevice_memory_limit = 1.5GiB\n"
                                 "[checkpoint]\nresume = latest\n");
  Config original =
      load_config(parse_command_line({deck, "--parallel.tp=2", "--output.dir=runs/x y"}));
  validate(original, 4);
  const std::string path = this->path("config.resolved.ini");
  write_resolved_ini(original, path);

  // The resolved deck still names the ds_config, whose unused keys come back
  // with it; every other key is now explicit and must agree with it.
  Config reread = load_config(parse_command_line({path}));
  validate(reread, 4);
  EXPECT_TRUE(same_values(original, reread)) << format_resolved_ini(original) << "\n---\n"
                                             << format_resolved_ini(reread);
  EXPECT_EQ(reread.parallel.dp, 2);
  EXPECT_EQ(reread.train.lr, 2.5e-4);  // exact, not merely close
  EXPECT_EQ(reread.train.min_lr, original.train.min_lr);
  EXPECT_EQ(reread.memory.device_memory_limit, 3ULL << 29);
  EXPECT_EQ(reread.output.dir, "runs/x y");
  EXPECT_EQ(reread.deepspeed_unused, original.deepspeed_unused);  // re-read from the ds_config
  EXPECT_THAT(format_resolved_ini(original),
              AllOf(HasSubstr("[zero]\nstage = 3"), HasSubstr("# dp = 2 (derived)"),
                    HasSubstr("1536MiB"), HasSubstr("#   flops_profiler = ")));
}

TEST_F(ResolvedDeck, SameValuesNoticesADifference) {
  Config a, b;
  b.zero.prefetch_bucket_size += 1;
  EXPECT_FALSE(same_values(a, b));
  b = a;
  b.train.lr = std::nextafter(a.train.lr, 1.0);
  EXPECT_FALSE(same_values(a, b));
}

TEST_F(ResolvedDeck, WritesAtomicallyOverAnOldFile) {
  const std::string path = write("config.resolved.ini", "old contents\n");
  Config config;
  config.model.n_layer = 3;
  write_resolved_ini(config, path);
  Config reread;
  read_deck(path, reread);
  EXPECT_EQ(reread.model.n_layer, 3);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    files += entry.is_regular_file();
  EXPECT_EQ(files, 1);  // no temporary left behind
}

TEST_F(ResolvedDeck, UnwritableDirectoryNamesThePath) {
  const std::string path = this->path("no/such/dir/config.resolved.ini");
  try {
    write_resolved_ini(Config{}, path);
    ADD_FAILURE() << "expected an error";
  } catch (const strata::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr(path));
  }
}

}  // namespace
}  // namespace strata::config
