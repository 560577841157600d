// The INI deck reader: typed keys, origins with line numbers, and every way a
// deck can be wrong.
#include "../support/unprivileged.hpp"
#include "config/load.hpp"
#include "config_test_support.hpp"

#ifndef STRATA_CONFIG_FIXTURES
#error "STRATA_CONFIG_FIXTURES must name tests/config/fixtures"
#endif

namespace strata::config {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

class DeckReader : public testing::TempDirTest {};

TEST_F(DeckReader, ReadsTypedValuesAndKeepsDefaults) {
  const std::string deck = write("run.ini",
                                 "# a small run\n"
                                 "[model]\n"
                                 "n_layer = 4\n"
                                 "bias = false   # no biases\n"
                                 "dropout = 0.1\n"
                                 "\n"
                                 "[train]\n"
                                 "micro_batch = 8\n"
                                 "lr = 3e-4\n"
                                 "lr_schedule = linear\n"
                                 "seed = 18446744073709551615\n"
                                 "[zero]\n"
                                 "reduce_bucket_size = 5e8\n"
                                 "[memory]\n"
                                 "device_memory_limit = 1.5GiB\n"
                                 "[checkpoint]\n"
                                 "resume = \"latest\"\n"
                                 "[log]\n"
                                 "level = debug\n");
  Config config;
  read_deck(deck, config);
  EXPECT_EQ(config.model.n_layer, 4);
  EXPECT_FALSE(config.model.bias);
  EXPECT_DOUBLE_EQ(config.model.dropout, 0.1);
  EXPECT_EQ(config.train.micro_batch, 8);
  EXPECT_DOUBLE_EQ(config.train.lr, 3e-4);
  EXPECT_EQ(config.train.lr_schedule, LrSchedule::linear);
  EXPECT_EQ(config.train.seed, UINT64_MAX);
  EXPECT_EQ(config.zero.reduce_bucket_size, 500000000);
  EXPECT_EQ(config.memory.device_memory_limit, 3ULL << 29);
  EXPECT_EQ(config.checkpoint.resume, "latest");
  EXPECT_EQ(config.log.level, log::Level::debug);
  EXPECT_EQ(config.model.n_head, 12);  // untouched default
  EXPECT_EQ(config.origins.at("train.micro_batch").where, deck + ":8");
  EXPECT_EQ(config.origins.at("train.micro_batch").subject, "[train] micro_batch");
  EXPECT_FALSE(config.is_set("model.n_head"));
}

TEST_F(DeckReader, FixtureDeckReads) {
  Config config;
  read_deck(STRATA_CONFIG_FIXTURES "/small.ini", config);
  EXPECT_EQ(config.model.n_layer, 4);
  EXPECT_EQ(config.parallel.tp, 2);
  EXPECT_EQ(config.zero.stage, 2);
  EXPECT_EQ(config.precision.dtype, DType::bf16);
}

TEST_F(DeckReader, EmptyDeckIsAllDefaults) {
  Config config;
  read_deck(write("empty.ini", "# nothing\n\n"), config);
  EXPECT_TRUE(same_values(config, Config{}));
}

TEST_F(DeckReader, UnknownKeyNamesKeyLineAndNearestKey) {
  const std::string deck = write("run.ini", "[train]\nsteps = 10\nmicro_bach = 4\n");
  Config config;
  EXPECT_THAT(error_of([&] { read_deck(deck, config); }),
              AllOf(HasSubstr("[train] micro_bach: unknown key (" + deck + ":3)"),
                    HasSubstr("fix: did you mean [train] micro_batch?")));
}

TEST_F(DeckReader, KeyInTheWrongSectionSuggestsTheRightOne) {
  const std::string deck = write("run.ini", "[model]\nmicro_batch = 4\n");
  Config config;
  EXPECT_THAT(error_of([&] { read_deck(deck, config); }),
              AllOf(HasSubstr("[model] micro_batch: unknown key"),
                    HasSubstr("did you mean [train] micro_batch?")));
}

TEST_F(DeckReader, UnknownSectionAndKeyOutsideSection) {
  Config config;
  EXPECT_THAT(
      error_of([&] { read_deck(write("a.ini", "[trian]\nsteps = 3\n"), config); }),
      AllOf(HasSubstr("[trian] steps: unknown key"), HasSubstr("did you mean [train] steps?")));
  EXPECT_THAT(error_of([&] { read_deck(write("b.ini", "steps = 3\n"), config); }),
              AllOf(HasSubstr("steps: unknown key"), HasSubstr("under its [section] header")));
}

TEST_F(DeckReader, WrongTypesNameKeyTypeAndLine) {
  Config config;
  const std::string a = write("a.ini", "[train]\nmicro_batch = abc\n");
  EXPECT_THAT(error_of([&] { read_deck(a, config); }),
              AllOf(HasSubstr("[train] micro_batch: expected an integer, got 'abc' (" + a + ":2)"),
                    HasSubstr("fix: give a whole number")));
  const std::string b = write("b.ini", "[model]\n\nn_layer = 2.5\n");
  EXPECT_THAT(error_of([&] { read_deck(b, config); }),
              HasSubstr("[model] n_layer: expected an integer, got '2.5' (" + b + ":3)"));
  const std::string c = write("c.ini", "[zero]\noverlap_comm = maybe\n");
  EXPECT_THAT(error_of([&] { read_deck(c, config); }),
              AllOf(HasSubstr("[zero] overlap_comm: expected a boolean, got 'maybe'"),
                    HasSubstr("write true or false")));
  const std::string d = write("d.ini", "[offload]\noptimizer = disk\n");
  EXPECT_THAT(error_of([&] { read_deck(d, config); }),
              AllOf(HasSubstr("[offload] optimizer: expected one of none, cpu, nvme, got 'disk'"),
                    HasSubstr(d + ":2")));
  const std::string e = write("e.ini", "[memory]\ndevice_memory_limit = -2GiB\n");
  EXPECT_THAT(
      error_of([&] { read_deck(e, config); }),
      AllOf(HasSubstr("[memory] device_memory_limit"), HasSubstr("negative"), HasSubstr(e + ":2")));
}

TEST_F(DeckReader, MissingAndUnreadableFilesNameTheFile) {
  Config config;
  const std::string missing = path("nope.ini");
  EXPECT_THAT(error_of([&] { read_deck(missing, config); }),
              AllOf(HasSubstr(missing + ": the deck file does not exist"),
                    HasSubstr("fix: check the path")));
  EXPECT_THAT(
      error_of([&] { read_deck(dir_.string(), config); }),
      AllOf(HasSubstr(dir_.string() + ": is a directory"), HasSubstr("fix: give the path")));
}

TEST_F(DeckReader, FileWithoutReadPermissionNamesTheFile) {
  const std::string deck = write("secret.ini", "[train]\nsteps = 1\n");
  std::filesystem::permissions(deck, std::filesystem::perms::none);
  Config config;
  EXPECT_THAT(strata::testing::error_text_as_unprivileged_user([&] { read_deck(deck, config); }),
              AllOf(HasSubstr(deck + ": the deck file cannot be opened"),
                    HasSubstr("fix: check that the file is readable")));
}

TEST_F(DeckReader, SyntaxErrorNamesTheLine) {
  const std::string deck = write("run.ini", "[train]\nsteps 10\n");
  Config config;
  EXPECT_THAT(error_of([&] { read_deck(deck, config); }),
              AllOf(HasSubstr(deck + ":2: 'steps 10' is neither"),
                    HasSubstr("fix: write settings as `key = value`")));
}

TEST_F(DeckReader, KeySetTwiceNamesBothLines) {
  const std::string deck =
      write("run.ini", "[train]\nsteps = 10\n[model]\nn_layer = 2\n[train]\nsteps = 20\n");
  Config config;
  EXPECT_THAT(error_of([&] { read_deck(deck, config); }),
              AllOf(HasSubstr("[train] steps: is set twice (" + deck + ":2 and " + deck + ":6)"),
                    HasSubstr("fix: keep one")));
}

}  // namespace
}  // namespace strata::config
