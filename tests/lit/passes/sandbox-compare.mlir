// RUN: webtensor-opt %s -p webtensor-sandbox-compare --split-input-file | filecheck %s

// An UNSIGNED compare of signless integers: both sides get their sign bit
// flipped and are compared SIGNED, the order IREE reads signless integers in.

// CHECK-LABEL: func.func @unsigned_of_signless
// CHECK-SAME:    (%[[A:.*]]: tensor<4xi32>, %[[B:.*]]: tensor<4xi32>)
// CHECK-NEXT:    %[[MIN:.*]] = stablehlo.constant dense<-2147483648> : tensor<4xi32>
// CHECK-NEXT:    %[[FA:.*]] = stablehlo.xor %[[A]], %[[MIN]]
// CHECK-NEXT:    %[[FB:.*]] = stablehlo.xor %[[B]], %[[MIN]]
// CHECK-NEXT:    %[[LT:.*]] = stablehlo.compare LT, %[[FA]], %[[FB]], SIGNED
// CHECK-NEXT:    return %[[LT]]
func.func @unsigned_of_signless(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi1> {
  %c = stablehlo.compare LT, %a, %b, UNSIGNED : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return %c : tensor<4xi1>
}

// -----

// A SIGNED compare of unsigned integers, the other way round.

// CHECK-LABEL: func.func @signed_of_unsigned
// CHECK-NEXT:    %[[TOP:.*]] = stablehlo.constant dense<128> : tensor<ui8>
// CHECK-NEXT:    %[[FA:.*]] = stablehlo.xor %{{.*}}, %[[TOP]]
// CHECK-NEXT:    %[[FB:.*]] = stablehlo.xor %{{.*}}, %[[TOP]]
// CHECK-NEXT:    stablehlo.compare GE, %[[FA]], %[[FB]], UNSIGNED
func.func @signed_of_unsigned(%a: tensor<ui8>, %b: tensor<ui8>) -> tensor<i1> {
  %c = stablehlo.compare GE, %a, %b, SIGNED : (tensor<ui8>, tensor<ui8>) -> tensor<i1>
  return %c : tensor<i1>
}

// -----

// Compares IREE already reads right stay as they are: the type matches the
// element type, EQ and NE do not depend on it, floats have their own.

// CHECK-LABEL: func.func @unchanged
// CHECK-NEXT:    stablehlo.compare LT, %{{.*}}, %{{.*}}, SIGNED : (tensor<i32>, tensor<i32>)
// CHECK-NEXT:    stablehlo.compare LT, %{{.*}}, %{{.*}}, UNSIGNED : (tensor<ui32>, tensor<ui32>)
// CHECK-NEXT:    stablehlo.compare EQ, %{{.*}}, %{{.*}}, UNSIGNED : (tensor<i32>, tensor<i32>)
// CHECK-NEXT:    stablehlo.compare LT, %{{.*}}, %{{.*}}, FLOAT
// CHECK-NEXT:    stablehlo.compare LT, %{{.*}}, %{{.*}} : (tensor<i32>, tensor<i32>)
// CHECK-NEXT:    return
func.func @unchanged(%a: tensor<i32>, %b: tensor<i32>, %u: tensor<ui32>, %f: tensor<f32>) -> (tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>) {
  %0 = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %1 = stablehlo.compare LT, %u, %u, UNSIGNED : (tensor<ui32>, tensor<ui32>) -> tensor<i1>
  %2 = stablehlo.compare EQ, %a, %b, UNSIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %3 = stablehlo.compare LT, %f, %f, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
  %4 = stablehlo.compare LT, %a, %b : (tensor<i32>, tensor<i32>) -> tensor<i1>
  return %0, %1, %2, %3, %4 : tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>, tensor<i1>
}
