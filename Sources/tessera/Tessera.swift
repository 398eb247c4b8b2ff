import ArgumentParser

@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Precise tile and cell invalidation for PostGIS edits.",
        version: TesseraVersion.current,
        subcommands: [
            TilesCommand.self,
            ServeCommand.self,
            MigrateCommand.self,
        ]
    )
}

enum TesseraVersion {
    static let current = "0.1.0"
}
