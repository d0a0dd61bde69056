using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Firebreak.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class ThreatIntel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ThreatFeeds",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    CollectionId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Auth = table.Column<int>(type: "INTEGER", nullable: false),
                    Username = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ApiKeyHeader = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    ProtectedSecret = table.Column<string>(type: "TEXT", maxLength: 16000, nullable: true),
                    PollMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    DefaultTlp = table.Column<int>(type: "INTEGER", nullable: false),
                    Cursor = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    LastPolledAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastSuccessAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastStatus = table.Column<int>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    LastSummary = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ThreatFeeds", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "FeedIndicators",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    FeedId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Type = table.Column<int>(type: "INTEGER", nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Tlp = table.Column<int>(type: "INTEGER", nullable: false),
                    Labels = table.Column<string>(type: "TEXT", maxLength: 5000, nullable: true),
                    Confidence = table.Column<int>(type: "INTEGER", nullable: true),
                    ValidFrom = table.Column<long>(type: "INTEGER", nullable: true),
                    ValidUntil = table.Column<long>(type: "INTEGER", nullable: true),
                    Revoked = table.Column<bool>(type: "INTEGER", nullable: false),
                    SourceId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    FirstSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FeedIndicators", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FeedIndicators_ThreatFeeds_FeedId",
                        column: x => x.FeedId,
                        principalTable: "ThreatFeeds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ThreatIntelMatches",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MatchKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    FeedId = table.Column<Guid>(type: "TEXT", nullable: false),
                    FeedIndicatorId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IndicatorType = table.Column<int>(type: "INTEGER", nullable: false),
                    IndicatorValue = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    MatchedValue = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Subject = table.Column<int>(type: "INTEGER", nullable: false),
                    AlertId = table.Column<Guid>(type: "TEXT", nullable: true),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: true),
                    EventId = table.Column<long>(type: "INTEGER", nullable: true),
                    EventCount = table.Column<int>(type: "INTEGER", nullable: false),
                    RaisedAlertId = table.Column<Guid>(type: "TEXT", nullable: true),
                    MatchedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ThreatIntelMatches", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ThreatIntelMatches_ThreatFeeds_FeedId",
                        column: x => x.FeedId,
                        principalTable: "ThreatFeeds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FeedIndicators_FeedId_Type_Value",
                table: "FeedIndicators",
                columns: new[] { "FeedId", "Type", "Value" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FeedIndicators_TenantId_Type_Value",
                table: "FeedIndicators",
                columns: new[] { "TenantId", "Type", "Value" });

            migrationBuilder.CreateIndex(
                name: "IX_ThreatFeeds_TenantId_Name",
                table: "ThreatFeeds",
                columns: new[] { "TenantId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ThreatIntelMatches_FeedId",
                table: "ThreatIntelMatches",
                column: "FeedId");

            migrationBuilder.CreateIndex(
                name: "IX_ThreatIntelMatches_TenantId_MatchKey",
                table: "ThreatIntelMatches",
                columns: new[] { "TenantId", "MatchKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ThreatIntelMatches_TenantId_MatchedAt",
                table: "ThreatIntelMatches",
                columns: new[] { "TenantId", "MatchedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FeedIndicators");

            migrationBuilder.DropTable(
                name: "ThreatIntelMatches");

            migrationBuilder.DropTable(
                name: "ThreatFeeds");
        }
    }
}
