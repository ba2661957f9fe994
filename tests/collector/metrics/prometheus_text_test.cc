#include "collector/metrics/prometheus_text.h"

#include "gtest/gtest.h"

namespace kerbside::metrics {
namespace {

TEST(PrometheusTextTest, FamiliesAndEscapedLabels) {
  PrometheusText t;
  t.Family("kerbside_x_total", "counter", "Things\\counted\nhere.");
  t.Sample("kerbside_x_total", {{"host", "EX\"01\\\n"}}, 3);
  t.Sample("kerbside_x_total", {}, 0.5);
  EXPECT_EQ(t.str(),
            "# HELP kerbside_x_total Things\\\\counted\\nhere.\n"
            "# TYPE kerbside_x_total counter\n"
            "kerbside_x_total{host=\"EX\\\"01\\\\\\n\"} 3\n"
            "kerbside_x_total 0.5\n");
}

}  // namespace
}  // namespace kerbside::metrics
