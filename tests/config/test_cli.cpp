// Command-line overrides: both Boost spellings, order, precedence over the
// deck, and the errors.
#include "config/load.hpp"
#include "config_test_support.hpp"

namespace strata::config {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

class CommandLineOverrides : public testing::TempDirTest {};

TEST_F(CommandLineOverrides, ParsesBothSpellingsDeckAndDeepSpeed) {
  const CommandLine line = parse_command_line(
      {"run.ini", "--train.micro_batch=8", "--train.lr", "3e-4", "--deepspeed", "ds.json", "-h"});
  EXPECT_EQ(line.deck_path, "run.ini");
  ASSERT_EQ(line.overrides.size(), 3u);
  EXPECT_EQ(line.overrides[0], (std::pair<std::string, std::string>{"train.micro_batch", "8"}));
  EXPECT_EQ(line.overrides[1], (std::pair<std::string, std::string>{"train.lr", "3e-4"}));
  EXPECT_EQ(line.overrides[2],
            (std::pair<std::string, std::string>{"train.deepspeed_config", "ds.json"}));
  EXPECT_TRUE(line.help);
}

TEST_F(CommandLineOverrides, ArgvFormSkipsProgramName) {
  const char* argv[] = {"strata-train", "--zero.stage=3"};
  const CommandLine line = parse_command_line(2, argv);
  EXPECT_TRUE(line.deck_path.empty());
  ASSERT_EQ(line.overrides.size(), 1u);
  EXPECT_EQ(line.overrides[0].first, "zero.stage");
}

TEST_F(CommandLineOverrides, OverridesWinOverTheDeckAndTheLastOneWins) {
  const std::string deck = write("run.ini", "[train]\nmicro_batch = 4\nsteps = 50\n");
  const Config config = load_config(parse_command_line(
      {deck, "--train.micro_batch=16", "--model.n_layer", "3", "--model.n_layer=5"}));
  EXPECT_EQ(config.train.micro_batch, 16);
  EXPECT_EQ(config.train.steps, 50);
  EXPECT_EQ(config.model.n_layer, 5);
  EXPECT_EQ(config.origins.at("train.micro_batch").where, "command line");
  EXPECT_EQ(config.origins.at("train.micro_batch").subject, "--train.micro_batch");
}

TEST_F(CommandLineOverrides, NegativeValueAfterTheKey) {
  const Config config = load_config(
      parse_command_line({"--activation_checkpointing.num_blocks", "-1", "--train.lr", "-.5"}));
  EXPECT_EQ(config.activation_checkpointing.num_blocks, -1);  // parsed; validate() refuses it
  EXPECT_DOUBLE_EQ(config.train.lr, -0.5);                    // parsed; validate() refuses it
}

TEST_F(CommandLineOverrides, UnknownKeySuggestsNearest) {
  EXPECT_THAT(error_of([] { parse_command_line({"--train.micro_bach=4"}); }),
              AllOf(HasSubstr("--train.micro_bach: unknown option on the command line"),
                    HasSubstr("fix: did you mean --train.micro_batch?")));
  EXPECT_THAT(error_of([] {
                parse_command_line({"--deepspeeed", "x.json"});
              }),
              HasSubstr("did you mean --deepspeed?"));
}

TEST_F(CommandLineOverrides, NoPrefixGuessing) {
  EXPECT_THAT(error_of([] { parse_command_line({"--train.micro=4"}); }),
              HasSubstr("--train.micro: unknown option"));
}

TEST_F(CommandLineOverrides, WrongTypeNamesOptionAndType) {
  EXPECT_THAT(error_of([] { load_config(parse_command_line({"--train.micro_batch=2.5"})); }),
              AllOf(HasSubstr("--train.micro_batch: expected an integer, got '2.5' (command line)"),
                    HasSubstr("fix: give a whole number")));
  EXPECT_THAT(error_of([] {
                load_config(parse_command_line({"--model.bias", "maybe"}));
              }),
              HasSubstr("--model.bias: expected a boolean, got 'maybe'"));
}

TEST_F(CommandLineOverrides, MissingValueAndTwoDecks) {
  EXPECT_THAT(
      error_of([] { parse_command_line({"--train.steps"}); }),
      AllOf(HasSubstr("train.steps"), HasSubstr("fix: write overrides as --section.key=value")));
  EXPECT_THAT(error_of([] {
                parse_command_line({"a.ini", "b.ini"});
              }),
              AllOf(HasSubstr("more than one deck"), HasSubstr("fix: give one deck")));
}

TEST_F(CommandLineOverrides, UsageMentionsTheForms) {
  EXPECT_THAT(command_line_usage("strata-train"),
              AllOf(HasSubstr("--section.key=value"), HasSubstr("--deepspeed"),
                    HasSubstr("docs/config.md")));
}

}  // namespace
}  // namespace strata::config
