#include <catch2/catch.hpp>

#include "copier/batch.hpp"

using namespace ferry;

TEST_CASE("a cleared batch keeps its buffers and takes new rows", "[batch]") {
  Batch batch({Storage::kInt64, Storage::kText});
  batch.column(0).AppendInt(7);
  batch.column(1).AppendBytes("héllo");
  batch.column(0).AppendNull();
  batch.column(1).AppendNull();
  REQUIRE(batch.num_rows() == 2);
  CHECK(batch.column(1).Bytes(0) == "héllo");
  CHECK(batch.column(0).IsNull(1));
  CHECK(batch.column(1).IsNull(1));
  CHECK(batch.column(1).Bytes(1).empty());

  size_t capacity = batch.column(1).CapacityBytes();
  batch.Reset({Storage::kInt64, Storage::kText});
  CHECK(batch.num_rows() == 0);
  CHECK(batch.column(1).CapacityBytes() == capacity);
  batch.column(0).AppendInt(1);
  batch.column(1).AppendBytes("");
  CHECK(batch.num_rows() == 1);
  CHECK_FALSE(batch.column(1).IsNull(0));
  CHECK(batch.column(1).Bytes(0).empty());
}
