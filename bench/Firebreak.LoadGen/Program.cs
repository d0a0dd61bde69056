using Firebreak.LoadGen;

// A bounded load generator for Firebreak's alert API. Every run stops by itself after --seconds or
// --max-requests, whichever comes first, and only ever talks to a loopback address.
try
{
    var options = LoadOptions.Parse(args);
    return options.Mode switch
    {
        "batch" => await IntakeRuns.BatchAsync(options),
        "single" => await IntakeRuns.SingleAsync(options),
        "load" => await IntakeRuns.LoadAsync(options),
        "list" => await ListRun.RunAsync(options),
        "baseline" => await PlainInsertBaseline.RunAsync(options),
        _ => throw new ArgumentException($"Unknown mode '{options.Mode}'."),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}
