import ArgumentParser

@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Precise tile and cell invalidation for PostGIS edits.",
        version: TesseraVersion.current,
        subcommands: [
            ServeCommand.self,
            MigrateCommand.self,
            TilesCommand.self,
            H3Command.self,
            S2Command.self,
            KeysCommand.self,
            SubscriptionsCommand.self,
        ]
    )
}

enum TesseraVersion {
    static let current = "0.1.0"
}
