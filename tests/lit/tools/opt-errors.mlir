// webtensor-opt checks the whole pass pipeline before running anything.

// RUN: not webtensor-opt %s -p canonicalise 2>&1 | filecheck %s --check-prefix=TYPO
// RUN: not webtensor-opt %s -p webtensor-legalize-compsite 2>&1 | filecheck %s --check-prefix=OURS
// RUN: not webtensor-opt %s -p "func.func(not-a-pass)" 2>&1 | filecheck %s --check-prefix=NESTED
// RUN: not webtensor-opt %s -p "webtensor-legalize-composite{depth=3}" 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not webtensor-opt %s -p "canonicalize,(" 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: webtensor-opt --list-passes | filecheck %s --check-prefix=LIST
// RUN: webtensor-opt %s -p canonicalize,cse | filecheck %s --check-prefix=UPSTREAM

// TYPO: webtensor-opt: error: unknown pass 'canonicalise'; did you mean 'canonicalize'?
// OURS: webtensor-opt: error: unknown pass 'webtensor-legalize-compsite'; did you mean 'webtensor-legalize-composite'?
// NESTED: webtensor-opt: error: unknown pass 'not-a-pass'
// OPTION: webtensor-opt: error: pass 'webtensor-legalize-composite' has no option 'depth' (options: none)
// SYNTAX: webtensor-opt: error: unbalanced brackets in pass pipeline 'canonicalize,('
// LIST: webtensor-legalize-composite
// UPSTREAM: func.func @main
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
