// [activation_checkpointing] from the deck and from a ds_config: the switch,
// the number of blocks, and the refused DeepSpeed options.
#include "config/load.hpp"
#include "config/validate.hpp"
#include "config_test_support.hpp"

namespace strata::config {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

class ActivationCheckpointingConfig : public testing::TempDirTest {
 protected:
  // Deck text (may be empty), then a ds_config when json is not empty,
  // validated on one rank.
  Config load(const std::string& deck_text, const std::string& json = "") {
    std::vector<std::string> args;
    if (!json.empty()) args = {"--deepspeed", write("ds.json", json)};
    if (!deck_text.empty()) args.push_back(write("run.ini", deck_text));
    Config config = load_config(parse_command_line(args));
    validate(config, 1);
    return config;
  }
  std::string ds() const { return path("ds.json"); }
};

TEST_F(ActivationCheckpointingConfig, OffUnlessEnabled) {
  const Config defaults = load("");
  EXPECT_FALSE(defaults.activation_checkpointing.enabled);
  EXPECT_EQ(defaults.activation_checkpointing.num_blocks, 0);
  const Config deck = load("[model]\nn_layer = 6\n[activation_checkpointing]\nenabled = true\n");
  EXPECT_TRUE(deck.activation_checkpointing.enabled);
  EXPECT_EQ(deck.activation_checkpointing.num_blocks, 0);  // 0: every block
  const Config some =
      load("[model]\nn_layer = 6\n[activation_checkpointing]\nenabled = true\nnum_blocks = 6\n");
  EXPECT_EQ(some.activation_checkpointing.num_blocks, 6);  // n_layer itself is allowed
}

TEST_F(ActivationCheckpointingConfig, MoreBlocksThanLayersNamesBoth) {
  const std::string message = error_of([&] {
    load("[model]\nn_layer = 6\n[activation_checkpointing]\nenabled = true\nnum_blocks = 7\n");
  });
  EXPECT_THAT(message, AllOf(HasSubstr("[activation_checkpointing] num_blocks: is 7 but the "
                                       "model has 6 blocks ([model] n_layer)"),
                             HasSubstr("run.ini:5"), HasSubstr("to at most 6")));
  EXPECT_THAT(error_of([&] { load("[activation_checkpointing]\nnum_blocks = -1\n"); }),
              HasSubstr("num_blocks: must be at least 0, got -1"));
}

TEST_F(ActivationCheckpointingConfig, DeepSpeedSectionSwitchesItOn) {
  const Config empty = load("", R"({"activation_checkpointing": {}})");
  EXPECT_TRUE(empty.activation_checkpointing.enabled);
  EXPECT_EQ(empty.activation_checkpointing.num_blocks, 0);
  const Config counted = load("[model]\nn_layer = 6\n",
                              R"({"activation_checkpointing": {"number_checkpoints": 2,
                                  "contiguous_memory_optimization": true,
                                  "synchronize_checkpoint_boundary": true, "profile": true}})");
  EXPECT_TRUE(counted.activation_checkpointing.enabled);
  EXPECT_EQ(counted.activation_checkpointing.num_blocks, 2);
  EXPECT_TRUE(counted.activation_checkpointing.contiguous_memory_optimization);
  EXPECT_FALSE(load("", R"({"train_batch_size": 1})").activation_checkpointing.enabled);
}

TEST_F(ActivationCheckpointingConfig, DeepSpeedNumberCheckpointsIsCheckedAgainstTheModel) {
  EXPECT_THAT(error_of([&] {
                load("[model]\nn_layer = 3\n",
                     R"({"activation_checkpointing": {"number_checkpoints": 4}})");
              }),
              AllOf(HasSubstr(ds() + ": activation_checkpointing.number_checkpoints: is 4 but the "
                                     "model has 3 blocks"),
                    HasSubstr("fix: set activation_checkpointing.number_checkpoints in " + ds())));
}

TEST_F(ActivationCheckpointingConfig, DeckSwitchedOffContradictsTheDeepSpeedSection) {
  EXPECT_THAT(error_of([&] {
                load("[activation_checkpointing]\nenabled = false\n",
                     R"({"activation_checkpointing": {}})");
              }),
              AllOf(HasSubstr(ds() + ": activation_checkpointing: gives "
                                     "[activation_checkpointing] enabled = true"),
                    HasSubstr("= false")));
}

TEST_F(ActivationCheckpointingConfig, PartitionAndCpuCheckpointingAreRefused) {
  EXPECT_THAT(error_of([&] {
                load("", R"({"activation_checkpointing": {"partition_activations": true}})");
              }),
              AllOf(HasSubstr(ds() + ": activation_checkpointing.partition_activations: is true"),
                    HasSubstr("tensor"), HasSubstr("to false")));
  EXPECT_THAT(
      error_of([&] { load("", R"({"activation_checkpointing": {"cpu_checkpointing": true}})"); }),
      AllOf(HasSubstr(ds() + ": activation_checkpointing.cpu_checkpointing: is true"),
            HasSubstr("host memory"), HasSubstr("to false")));
  EXPECT_THAT(error_of([&] { load("[activation_checkpointing]\ncpu_checkpointing = true\n"); }),
              HasSubstr("[activation_checkpointing] cpu_checkpointing: is true"));
  // false is what DeepSpeed defaults to: accepted.
  EXPECT_NO_THROW(load("", R"({"activation_checkpointing": {"partition_activations": false,
                                                          "cpu_checkpointing": false}})"));
}

}  // namespace
}  // namespace strata::config
