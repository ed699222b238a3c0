// RUN: webtensor-opt %s -p webtensor-sandbox-boolean-arithmetic --split-input-file | filecheck %s

// On booleans, add is or and multiply is and.

// CHECK-LABEL: func.func @booleans
// CHECK-SAME:    (%[[A:.*]]: tensor<4xi1>, %[[B:.*]]: tensor<4xi1>)
// CHECK-NEXT:    %[[OR:.*]] = stablehlo.or %[[A]], %[[B]] : tensor<4xi1>
// CHECK-NEXT:    %[[AND:.*]] = stablehlo.and %[[A]], %[[B]] : tensor<4xi1>
// CHECK-NEXT:    return %[[OR]], %[[AND]]
func.func @booleans(%a: tensor<4xi1>, %b: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>) {
  %0 = stablehlo.add %a, %b : tensor<4xi1>
  %1 = stablehlo.multiply %a, %b : tensor<4xi1>
  return %0, %1 : tensor<4xi1>, tensor<4xi1>
}

// -----

// Other element types are unchanged.

// CHECK-LABEL: func.func @integers
// CHECK-NEXT:    stablehlo.add
// CHECK-NEXT:    stablehlo.multiply
func.func @integers(%a: tensor<4xi8>, %b: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>) {
  %0 = stablehlo.add %a, %b : tensor<4xi8>
  %1 = stablehlo.multiply %a, %b : tensor<4xi8>
  return %0, %1 : tensor<4xi8>, tensor<4xi8>
}
