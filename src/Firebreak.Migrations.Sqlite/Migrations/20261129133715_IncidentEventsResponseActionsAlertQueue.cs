using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Firebreak.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class IncidentEventsResponseActionsAlertQueue : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Alerts_TenantId_TriageState_Severity_LastReceivedAt",
                table: "Alerts");

            migrationBuilder.AddColumn<string>(
                name: "Annotation",
                table: "TimelineEntries",
                type: "TEXT",
                maxLength: 20000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Assets",
                table: "TimelineEntries",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Author",
                table: "TimelineEntries",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "FalseLead",
                table: "TimelineEntries",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "IncidentEventId",
                table: "TimelineEntries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Indicators",
                table: "TimelineEntries",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<bool>(
                name: "KeyEvent",
                table: "TimelineEntries",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Principals",
                table: "TimelineEntries",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Raw",
                table: "TimelineEntries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Tactic",
                table: "TimelineEntries",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Version",
                table: "TimelineEntries",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "EventImports",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    StagedFile = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    EventsRead = table.Column<long>(type: "INTEGER", nullable: false),
                    EventsStored = table.Column<long>(type: "INTEGER", nullable: false),
                    Duplicates = table.Column<long>(type: "INTEGER", nullable: false),
                    BytesRead = table.Column<long>(type: "INTEGER", nullable: false),
                    Problems = table.Column<long>(type: "INTEGER", nullable: false),
                    FilesDone = table.Column<int>(type: "INTEGER", nullable: false),
                    Checkpoint = table.Column<string>(type: "TEXT", nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Runs = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EventImports", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EventImports_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "IncidentEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    EventId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Time = table.Column<long>(type: "INTEGER", nullable: false),
                    IngestedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ImportId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Provider = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    LogSource = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Account = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Region = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    EventSource = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Operation = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    PrincipalType = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Principal = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    AccessKeyId = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    SessionIssuer = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    SourceIp = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    UserAgent = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    Resource = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    Resources = table.Column<string>(type: "TEXT", nullable: true),
                    Result = table.Column<int>(type: "INTEGER", nullable: false),
                    ErrorCode = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Origin = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    Raw = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IncidentEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IncidentEvents_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ResponseActions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ActionName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Provider = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Account = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Region = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Resource = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Inputs = table.Column<string>(type: "TEXT", nullable: false),
                    Impact = table.Column<int>(type: "INTEGER", nullable: false),
                    Criticality = table.Column<int>(type: "INTEGER", nullable: false),
                    Choice = table.Column<int>(type: "INTEGER", nullable: false),
                    ChoiceReason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    BusinessImpact = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    RequiresApproval = table.Column<bool>(type: "INTEGER", nullable: false),
                    Plan = table.Column<string>(type: "TEXT", nullable: false),
                    Warnings = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RequestedByPrincipal = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    RequestedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ApprovedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ApprovedByPrincipal = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    ApprovedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ApprovalComment = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    RanBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Results = table.Column<string>(type: "TEXT", nullable: true),
                    Verification = table.Column<string>(type: "TEXT", nullable: true),
                    Verified = table.Column<bool>(type: "INTEGER", nullable: true),
                    UndoData = table.Column<string>(type: "TEXT", nullable: false),
                    Output = table.Column<string>(type: "TEXT", nullable: false),
                    UndoneBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    UndoneAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UndoReason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    UndoResults = table.Column<string>(type: "TEXT", nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ResponseActions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ResponseActions_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_TimelineEntries_IncidentId_IncidentEventId",
                table: "TimelineEntries",
                columns: new[] { "IncidentId", "IncidentEventId" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Queue",
                table: "Alerts",
                columns: new[] { "TenantId", "TriageState", "SuppressedByRuleId", "LastReceivedAt", "Id", "Severity" });

            migrationBuilder.CreateIndex(
                name: "IX_EventImports_IncidentId_CreatedAt",
                table: "EventImports",
                columns: new[] { "IncidentId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_EventImports_Status",
                table: "EventImports",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_AccessKeyId_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "AccessKeyId", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_EventId",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "EventId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Operation_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Operation", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Principal_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Principal", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Resource_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Resource", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_SourceIp_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "SourceIp", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_ResponseActions_IncidentId_RequestedAt",
                table: "ResponseActions",
                columns: new[] { "IncidentId", "RequestedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EventImports");

            migrationBuilder.DropTable(
                name: "IncidentEvents");

            migrationBuilder.DropTable(
                name: "ResponseActions");

            migrationBuilder.DropIndex(
                name: "IX_TimelineEntries_IncidentId_IncidentEventId",
                table: "TimelineEntries");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_Queue",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "Annotation",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Assets",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Author",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "FalseLead",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "IncidentEventId",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Indicators",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "KeyEvent",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Principals",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Raw",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Tactic",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Version",
                table: "TimelineEntries");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_TenantId_TriageState_Severity_LastReceivedAt",
                table: "Alerts",
                columns: new[] { "TenantId", "TriageState", "Severity", "LastReceivedAt" });
        }
    }
}
