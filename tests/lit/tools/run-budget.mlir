// webtensor-run sets the call's work budget and deadline, picks a device by
// preference, and lists the devices it can run on. webtensor-inspect shows
// the price the budget pays: here nothing up front, and per iteration the
// fixed 500,000 units, a compare (20,008) and an i64 add (20,016).

// RUN: webtensor-compile %s -o %t.vmfb
// RUN: webtensor-inspect %t.vmfb | filecheck %s --check-prefix=PRICE
// RUN: webtensor-run %t.vmfb --input=i64=10 --fuel=5400240 | filecheck %s --check-prefix=ENOUGH
// RUN: not webtensor-run %t.vmfb --input=i64=10 --fuel=5400239 2>&1 | filecheck %s --check-prefix=BUDGET
// RUN: not webtensor-run %t.vmfb --input=i64=1000000000 --deadline=0.2 --fuel=1000000000000000 2>&1 | filecheck %s --check-prefix=DEADLINE
// RUN: webtensor-run %t.vmfb --input=i64=3 --power-preference=low-power | filecheck %s --check-prefix=ENOUGH3
// RUN: webtensor-run --list-devices | filecheck %s --check-prefix=DEVICES
// RUN: not webtensor-run 2>&1 | filecheck %s --check-prefix=NO-ARTIFACT

// PRICE: main(arg0: int64[]) -> (result0: int64[])
// PRICE-NEXT: costs 0 work units up front; each loop iteration, in program order: 540,024
// ENOUGH: EXEC @main
// ENOUGH-NEXT: result[0]: hal.buffer_view
// ENOUGH-NEXT: i64=10
// BUDGET: webtensor-run: error: main ran out of its budget of 5400239 work units
// DEADLINE: webtensor-run: error: main did not finish within its deadline of 0.2 s on local-task
// ENOUGH3: i64=3
// DEVICES: local-task: {{.*}}(runs llvm-cpu artifacts)
// DEVICES: local-sync: {{.*}}(runs llvm-cpu artifacts)
// NO-ARTIFACT: webtensor-run: error: give an artifact to run (or --list-devices)
func.func @main(%n: tensor<i64>) -> tensor<i64> {
  %zero = stablehlo.constant dense<0> : tensor<i64>
  %one = stablehlo.constant dense<1> : tensor<i64>
  %r:1 = stablehlo.while(%i = %zero) : tensor<i64>
    cond {
      %c = stablehlo.compare LT, %i, %n : (tensor<i64>, tensor<i64>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %next = stablehlo.add %i, %one : tensor<i64>
      stablehlo.return %next : tensor<i64>
    }
  return %r#0 : tensor<i64>
}
